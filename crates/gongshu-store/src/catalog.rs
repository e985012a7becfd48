//! 数据资源目录与登记: tables of the catalog workflow.
