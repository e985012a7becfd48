//! 申诉、争议、监督检查与安全事件: domain rules (filled by the appeals workflow).
