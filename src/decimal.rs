//! Unsigned integers as decimal digits, without core::fmt: the shim's path writes a few (its
//! depth marker, the audit entry's uid and time, the parent's /proc path), and fmt's digit
//! tables sit on pages of the binary that nothing else a call runs touches (README,
//! Performance).

/// Append `n` in decimal.
pub fn push(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

/// `n` in decimal.
pub fn string(n: u64) -> String {
    let mut out = Vec::with_capacity(20);
    push(&mut out, n);
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn digits_are_what_display_writes() {
        for n in [0, 1, 9, 10, 99, 100, 4_294_967_295, u64::MAX] {
            assert_eq!(super::string(n), n.to_string());
        }
    }
}
