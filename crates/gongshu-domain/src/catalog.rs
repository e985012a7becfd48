//! 数据资源目录与登记 (filled by the catalog workflow).
