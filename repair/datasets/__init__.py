"""Dataset plugins: each turns a dataset's own files into the HDF5 splits of docs/formats.md."""
