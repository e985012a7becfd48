//! 申诉、争议、监督检查与安全事件: tables of the appeals workflow.
