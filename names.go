package securestore

import "fmt"

// validName enforces Expo's SecureStore key rule, which also applies to services,
// apps and access groups: one or more of A-Z a-z 0-9 . _ - (ASCII). The
// error says what is wrong without repeating the name, which might be a
// secret pasted into the wrong argument.
func validName(what, s string) error {
	if s == "" {
		return fmt.Errorf("%w: %s is empty", ErrInvalidKey, what)
	}
	for i := 0; i < len(s); i++ {
		if !nameByte(s[i]) {
			return fmt.Errorf("%w: %s has a character other than A-Z a-z 0-9 . _ - at byte %d", ErrInvalidKey, what, i)
		}
	}
	return nil
}

func nameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-'
}
