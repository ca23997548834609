"""symconv: exact symbolic backpropagation through convolutional networks, with proofs.

Data flows one way: spec → network → forward expressions → gradients → derivation steps →
rendering. The public API is re-exported here; see :mod:`symconv.api`.
"""

from .api import Model, load
from .errors import BuildError, SpecError, SymconvError, ToolMissing
from .formulas import Formula, formula
from .jsonread import json_schema, read_json
from .spec import Spec, example, load_spec, spec_from_dict

__all__ = [
    "BuildError", "Formula", "Model", "Spec", "SpecError", "SymconvError", "ToolMissing", "example", "formula", "json_schema", "load",
    "load_spec", "read_json", "spec_from_dict",
]
__version__ = "0.1.0"
