//! HTTP tests of 运营机构遴选与应用场景 (filled by the selection workflow).
