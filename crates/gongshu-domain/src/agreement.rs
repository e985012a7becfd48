//! Authorization agreement (授权运营协议): its 13 clauses, term and lifecycle.
