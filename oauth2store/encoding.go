package oauth2store

import (
	"encoding/json"
	"errors"
	"time"

	"golang.org/x/oauth2"
)

// storedToken is the item's value: JSON of the fields of oauth2.Token
// that mean the same thing later, plus the extra fields Options.KeepExtra
// names.
//
// oauth2.Token keeps the server's extra fields in an unexported field that
// encoding/json cannot see, and they can be large (an OpenID Connect
// id_token is a JWT of its own), so none is stored unless asked for.
// ExpiresIn is left out: it is relative to when the server answered, and
// Expiry already holds the absolute time.
type storedToken struct {
	V            int            `json:"v"`
	AccessToken  string         `json:"access_token"`
	TokenType    string         `json:"token_type,omitempty"`
	RefreshToken string         `json:"refresh_token,omitempty"`
	Expiry       time.Time      `json:"expiry,omitzero"`
	Extra        map[string]any `json:"extra,omitempty"`
}

const storedVersion = 1

// errBadValue: the item does not hold a token this package wrote. The
// message never quotes the value.
var errBadValue = errors.New("the stored value is not a token written by oauth2store")

func encode(t *oauth2.Token, keepExtra []string) (string, error) {
	st := storedToken{
		V:            storedVersion,
		AccessToken:  t.AccessToken,
		TokenType:    t.TokenType,
		RefreshToken: t.RefreshToken,
		Expiry:       t.Expiry.Round(0).UTC(),
	}
	for _, name := range keepExtra {
		if v := t.Extra(name); v != nil {
			if st.Extra == nil {
				st.Extra = map[string]any{}
			}
			st.Extra[name] = v
		}
	}
	b, err := json.Marshal(st)
	if err != nil {
		// Only an extra field can fail; json's message could quote it.
		return "", errors.New("encode the token: an extra field named in KeepExtra has no JSON form")
	}
	return string(b), nil
}

func decode(value string) (*oauth2.Token, error) {
	var st storedToken
	if err := json.Unmarshal([]byte(value), &st); err != nil || st.V != storedVersion {
		// json errors can quote the input; say only what went wrong.
		return nil, errBadValue
	}
	t := &oauth2.Token{
		AccessToken:  st.AccessToken,
		TokenType:    st.TokenType,
		RefreshToken: st.RefreshToken,
		Expiry:       st.Expiry,
	}
	if st.Extra != nil {
		t = t.WithExtra(st.Extra)
	}
	return t, nil
}
