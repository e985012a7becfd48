//! 运营机构遴选与应用场景: domain rules (filled by the selection workflow).
