"""Backend clients, one module or package per backend, each with its Job type."""
