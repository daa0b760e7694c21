"""Reading lab exports: layout detection, dates, lab ranges, and rows to records."""
