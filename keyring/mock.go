package keyring

import "sync"

// mockProvider is go-keyring's in-memory mock, with its semantics (which
// differ from a real keyring's in two places, kept on purpose: DeleteAll("")
// deletes the items of service "" and returns nil, and ListUsers is in map
// order). Unlike go-keyring's it is safe for concurrent use.
type mockProvider struct {
	mu        sync.Mutex
	mockStore map[string]map[string]string
	mockError error
}

// Set stores user and pass in the keyring under the defined service
// name.
func (m *mockProvider) Set(service, user, pass string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.mockError != nil {
		return m.mockError
	}
	if m.mockStore == nil {
		m.mockStore = make(map[string]map[string]string)
	}
	if m.mockStore[service] == nil {
		m.mockStore[service] = make(map[string]string)
	}
	m.mockStore[service][user] = pass
	return nil
}

// Get gets a secret from the keyring given a service name and a user.
func (m *mockProvider) Get(service, user string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.mockError != nil {
		return "", m.mockError
	}
	if v, ok := m.mockStore[service][user]; ok {
		return v, nil
	}
	return "", ErrNotFound
}

// Delete deletes a secret, identified by service & user, from the keyring.
func (m *mockProvider) Delete(service, user string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.mockError != nil {
		return m.mockError
	}
	if _, ok := m.mockStore[service][user]; ok {
		delete(m.mockStore[service], user)
		return nil
	}
	return ErrNotFound
}

// DeleteAll deletes all secrets for a given service
func (m *mockProvider) DeleteAll(service string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.mockError != nil {
		return m.mockError
	}
	delete(m.mockStore, service)
	return nil
}

// ListUsers returns a list of all users for a given service
func (m *mockProvider) ListUsers(service string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.mockError != nil {
		return nil, m.mockError
	}
	users := []string{}
	for user := range m.mockStore[service] {
		users = append(users, user)
	}
	return users, nil
}

// MockInit sets the provider to a mocked memory store
func MockInit() {
	mu.Lock()
	defer mu.Unlock()
	provider = &mockProvider{}
}

// MockRestore restores the provider to the securestore store.
// Call after MockInit when the mock is no longer needed (e.g. in defer).
func MockRestore() {
	mu.Lock()
	defer mu.Unlock()
	provider = nil
}

// MockInitWithError sets the provider to a mocked memory store
// that returns the given error on all operations
func MockInitWithError(err error) {
	mu.Lock()
	defer mu.Unlock()
	provider = &mockProvider{mockError: err}
}
