"""symconv: exact symbolic backpropagation through convolutional networks."""
