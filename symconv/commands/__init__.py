"""CLI subcommands, one module each, registered in :data:`symconv.cli.COMMANDS`."""
