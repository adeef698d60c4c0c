package oauth2store_test

import (
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"golang.org/x/oauth2"
)

// tokenServer is an OAuth 2.0 token endpoint that rotates refresh tokens,
// as many providers do: a refresh token works once, and a reused one is
// refused with invalid_grant. It counts the refreshes it granted.
type tokenServer struct {
	*httptest.Server

	mu         sync.Mutex
	refresh    string   // the one refresh token that works now
	access     string   // the access token last issued
	granted    int      // refreshes granted
	refused    int      // refreshes refused
	issued     []string // every token issued, to check no error holds one
	tokenBytes int      // length of the access tokens it issues
}

func newTokenServer(t *testing.T) *tokenServer {
	ts := &tokenServer{tokenBytes: 32}
	ts.refresh = ts.newToken(32)
	ts.Server = httptest.NewServer(http.HandlerFunc(ts.serve))
	t.Cleanup(ts.Close)
	return ts
}

// newToken returns a random token and remembers it. Call with mu held,
// or before the server starts.
func (ts *tokenServer) newToken(n int) string {
	tok := strings.Repeat("x", n-26) + rand.Text()
	ts.issued = append(ts.issued, tok)
	return tok
}

func (ts *tokenServer) config() *oauth2.Config {
	return &oauth2.Config{
		ClientID: "cli",
		Endpoint: oauth2.Endpoint{TokenURL: ts.URL + "/token", AuthStyle: oauth2.AuthStyleInParams},
	}
}

func (ts *tokenServer) serve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.Form.Get("grant_type") != "refresh_token" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	got := r.Form.Get("refresh_token")
	if got != ts.refresh {
		ts.refused++
		w.WriteHeader(http.StatusBadRequest)
		// Echo the token, as careless servers do: the error must not.
		json.NewEncoder(w).Encode(map[string]string{
			"error": "invalid_grant", "error_description": "refresh token " + got + " was already used",
		})
		return
	}
	ts.granted++
	ts.access = ts.newToken(ts.tokenBytes)
	ts.refresh = ts.newToken(32)
	json.NewEncoder(w).Encode(map[string]any{
		"access_token": ts.access, "token_type": "Bearer", "refresh_token": ts.refresh,
		"expires_in": 3600, "id_token": "idtok-" + ts.access[len(ts.access)-8:],
	})
}

// state returns the counters and the current tokens.
func (ts *tokenServer) state() (granted, refused int, access, refresh string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.granted, ts.refused, ts.access, ts.refresh
}

// checkNoToken fails t if msg holds any token the server issued.
func (ts *tokenServer) checkNoToken(t *testing.T, what, msg string) {
	t.Helper()
	ts.mu.Lock()
	defer ts.mu.Unlock()
	for _, tok := range ts.issued {
		if strings.Contains(msg, tok[len(tok)-26:]) {
			t.Errorf("%s holds a token: %s", what, msg)
		}
	}
}
