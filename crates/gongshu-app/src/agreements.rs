//! Use cases of the authorization agreement (授权运营协议).
