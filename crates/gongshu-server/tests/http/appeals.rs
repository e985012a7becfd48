//! HTTP tests of 申诉、争议、监督检查与安全事件 (filled by the appeals workflow).
