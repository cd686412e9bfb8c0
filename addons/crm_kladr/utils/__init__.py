"""Plain Python for the address classifier: text normalization, KLADR DBF reading,
GAR XML streaming, safe archive extraction, the FNS download service and DaData.
Nothing here imports odoo."""
