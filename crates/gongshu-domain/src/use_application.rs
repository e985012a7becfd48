//! 数据使用申请与外部数据导入: domain rules (filled by the use_applications workflow).
