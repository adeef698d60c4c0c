package credential

import (
	"fmt"
	"os"
	"strconv"

	"github.com/securestore-go/securestore"
)

// Registry tokens (AWS ECR's, OAuth and JWT access tokens) are often
// longer than Expo's 2048 bytes, so the helpers store larger values by
// default; the library's own default stays Expo's.
const (
	// HelperMaxValueBytes is the helpers' default limit: 64 KiB.
	HelperMaxValueBytes = 64 << 10
	// EnvMaxValueBytes sets the limit when --max-value-bytes is absent,
	// for the helpers and the securestore CLI alike.
	EnvMaxValueBytes = "SECURESTORE_MAX_VALUE_BYTES"
)

// MaxValueBytes resolves the value limit: flag when it is not "" (the
// --max-value-bytes given), else $SECURESTORE_MAX_VALUE_BYTES, else def.
// The result is within 1..securestore.MaxValueBytesLimit.
func MaxValueBytes(flag string, def int) (int, error) {
	text, from := flag, "--max-value-bytes"
	if text == "" {
		text, from = os.Getenv(EnvMaxValueBytes), "$"+EnvMaxValueBytes
	}
	if text == "" {
		return def, nil
	}
	n, err := strconv.Atoi(text)
	if err != nil || n < 1 || n > securestore.MaxValueBytesLimit {
		return 0, fmt.Errorf("%w: %s wants a number of bytes from 1 to %d", securestore.ErrInvalidOption, from, securestore.MaxValueBytesLimit)
	}
	return n, nil
}
