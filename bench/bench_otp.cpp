// TOTP/HOTP benchmarks (protocol/otp).
