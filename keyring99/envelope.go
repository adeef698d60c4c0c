package keyring99

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/securestore-go/securestore"
)

// envelopeVersion is the "v" of the envelopes this package writes; an
// envelope of another version is refused rather than misread.
const envelopeVersion = 1

// envelope is how an Item is kept as a securestore value (a string): JSON,
// with Data as base64. Key is not in it: it is the securestore key.
type envelope struct {
	V                   int       `json:"v"`
	Data                []byte    `json:"data"`
	Label               string    `json:"label,omitempty"`
	Description         string    `json:"description,omitempty"`
	NotTrustApplication bool      `json:"notTrustApplication,omitempty"`
	NotSynchronizable   bool      `json:"notSynchronizable,omitempty"`
	Modified            time.Time `json:"modified"`
}

// seal returns the securestore value for item, set at now.
func seal(item Item, now time.Time) (string, error) {
	b, err := json.Marshal(envelope{
		V:                   envelopeVersion,
		Data:                item.Data,
		Label:               item.Label,
		Description:         item.Description,
		NotTrustApplication: item.KeychainNotTrustApplication,
		NotSynchronizable:   item.KeychainNotSynchronizable,
		Modified:            now.UTC(),
	})
	if err != nil {
		return "", err
	}
	s := string(b)
	clear(b) // the copy in s is the one securestore gets
	return s, nil
}

// open parses a securestore value back into the Item stored under key and
// its modification time.
func open(key, value string) (Item, time.Time, error) {
	var e envelope
	// The error of Unmarshal may quote the input, which holds the secret:
	// it is not wrapped.
	if json.Unmarshal([]byte(value), &e) != nil || e.V != envelopeVersion {
		return Item{}, time.Time{}, fmt.Errorf("keyring99: %w: the stored value is not a version %d item envelope", securestore.ErrCorrupt, envelopeVersion)
	}
	return Item{
		Key:                         key,
		Data:                        e.Data,
		Label:                       e.Label,
		Description:                 e.Description,
		KeychainNotTrustApplication: e.NotTrustApplication,
		KeychainNotSynchronizable:   e.NotSynchronizable,
	}, e.Modified, nil
}
