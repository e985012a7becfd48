//! 数据使用申请与外部数据导入: tables of the use_applications workflow.
