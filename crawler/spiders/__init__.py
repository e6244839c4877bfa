"""One spider per source kind; the file, the spider's ``name`` and the kind are the same word."""
