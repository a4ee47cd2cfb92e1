"""An index folder on disk: the SQLite store (the source of truth), its schema, the folder's rules, and `IndexDir`.

    store.py    documents, chunks, vectors and source files in one SQLite database
    schema.py   its tables, format version and the SQL of a search's filters
    folder.py   what the folder may hold, the write lock, the rebuild's swap, honest storage errors
    layout.py   `IndexDir`: the store opened and checked, with its engine pair (index.engines)
"""
