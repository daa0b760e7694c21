"""Writers for every output format; only the table writer imports rich."""
