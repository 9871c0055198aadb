"""Views of a run: files written atomically, CSV, JSON and XLSX, statements and terminal tables."""
