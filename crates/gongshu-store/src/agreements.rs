//! Authorization agreements (授权运营协议). Owns the agreement tables.
