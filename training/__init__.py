"""The training side: datasets, model, training, evaluation, export, quantization and release."""
