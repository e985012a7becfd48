//! HTTP tests of 数据使用申请与外部数据导入 (filled by the use_applications workflow).
