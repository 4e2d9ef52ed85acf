"""Not code: this folder is installed as the package `shopping_assets.sql_files` (see
pyproject.toml), so that shopping_assets/sql.py finds the .sql files through importlib.resources
in an installed copy as in the source tree."""
