//! 数据分类分级 (filled by the catalog workflow).
