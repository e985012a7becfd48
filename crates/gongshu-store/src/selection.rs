//! 运营机构遴选与应用场景: tables of the selection workflow.
