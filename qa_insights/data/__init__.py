"""The data layer: the contract, reading files, validation, the stores (DuckDB, Spark) and
the shared counts query. Imports nothing else of the package."""
