//! Joint reviews (联合审核): data demands and market entries. Owns their tables.
