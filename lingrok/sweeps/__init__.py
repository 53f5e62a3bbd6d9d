"""`lingrok sweep`: grids of experiments from sweeps/*.toml run on Dask, resumable, with provenance (sweep)."""
