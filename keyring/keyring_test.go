// The test cases in this file are copied from github.com/zalando/go-keyring
// (keyring_test.go, as of its ListUsers release), under its licence:
//
// The MIT License (MIT)
//
// Copyright (c) 2016 Zalando SE
//
// Permission is hereby granted, free of charge, to any person obtaining a copy
// of this software and associated documentation files (the "Software"), to deal
// in the Software without restriction, including without limitation the rights
// to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
// copies of the Software, and to permit persons to whom the Software is
// furnished to do so, subject to the following conditions:
//
// The above copyright notice and this permission notice shall be included in all
// copies or substantial portions of the Software.
//
// THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
// IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
// FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
// AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
// LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
// OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
// SOFTWARE.
//
// They run unchanged against the package-level functions, which TestMain
// points at a securestore store in a temporary directory under the file
// protector, with one deliberate change: TestSetTooLong expects the 10 002
// byte password to be stored on every platform (this package's limit is
// DefaultMaxPasswordBytes everywhere; go-keyring's is platform-dependent),
// and checks that it reads back. The cases depend on running in file order
// (TestDelete deletes what TestGet set), as go-keyring's do.

package keyring

import (
	"fmt"
	"log"
	"sort"
	"strings"
	"testing"
)

const (
	service  = "test-service"
	user     = "test-user"
	password = "test-password"
)

// TestSet tests setting a user and password in the keyring.
func TestSet(t *testing.T) {
	err := Set(service, user, password)
	if err != nil {
		t.Errorf("Should not fail, got: %s", err)
	}
}

func TestSetTooLong(t *testing.T) {
	extraLongPassword := "ba" + strings.Repeat("na", 5000)
	err := Set(service, user, extraLongPassword)

	// go-keyring: fails on windows and darwin only. Here: stored everywhere.
	if err != nil {
		t.Fatalf("Should not fail, got: %s", err)
	}
	pw, err := Get(service, user)
	if err != nil || pw != extraLongPassword {
		t.Errorf("Expected the long password back, got %d bytes, %v", len(pw), err)
	}
}

// TestGetMultiline tests getting a multi-line password from the keyring
func TestGetMultiLine(t *testing.T) {
	multilinePassword := `this password
has multiple
lines and will be
encoded by some keyring implementiations
like osx`
	err := Set(service, user, multilinePassword)
	if err != nil {
		t.Errorf("Should not fail, got: %s", err)
	}

	pw, err := Get(service, user)
	if err != nil {
		t.Errorf("Should not fail, got: %s", err)
	}

	if multilinePassword != pw {
		t.Errorf("Expected password %s, got %s", multilinePassword, pw)
	}
}

// TestGetMultiline tests getting a multi-line password from the keyring
func TestGetUmlaut(t *testing.T) {
	umlautPassword := "at least on OSX üöäÜÖÄß will be encoded"
	err := Set(service, user, umlautPassword)
	if err != nil {
		t.Errorf("Should not fail, got: %s", err)
	}

	pw, err := Get(service, user)
	if err != nil {
		t.Errorf("Should not fail, got: %s", err)
	}

	if umlautPassword != pw {
		t.Errorf("Expected password %s, got %s", umlautPassword, pw)
	}
}

// TestGetSingleLineHex tests getting a single line hex string password from the keyring.
func TestGetSingleLineHex(t *testing.T) {
	hexPassword := "abcdef123abcdef123"
	err := Set(service, user, hexPassword)
	if err != nil {
		t.Errorf("Should not fail, got: %s", err)
	}

	pw, err := Get(service, user)
	if err != nil {
		t.Errorf("Should not fail, got: %s", err)
	}

	if hexPassword != pw {
		t.Errorf("Expected password %s, got %s", hexPassword, pw)
	}
}

// TestGet tests getting a password from the keyring.
func TestGet(t *testing.T) {
	err := Set(service, user, password)
	if err != nil {
		t.Errorf("Should not fail, got: %s", err)
	}

	pw, err := Get(service, user)
	if err != nil {
		t.Errorf("Should not fail, got: %s", err)
	}

	if password != pw {
		t.Errorf("Expected password %s, got %s", password, pw)
	}
}

// TestGetNonExisting tests getting a secret not in the keyring.
func TestGetNonExisting(t *testing.T) {
	_, err := Get(service, user+"fake")
	if err != ErrNotFound {
		t.Errorf("Expected error ErrNotFound, got %s", err)
	}
}

// TestDelete tests deleting a secret from the keyring.
func TestDelete(t *testing.T) {
	err := Delete(service, user)
	if err != nil {
		t.Errorf("Should not fail, got: %s", err)
	}
}

// TestDeleteNonExisting tests deleting a secret not in the keyring.
func TestDeleteNonExisting(t *testing.T) {
	err := Delete(service, user+"fake")
	if err != ErrNotFound {
		t.Errorf("Expected error ErrNotFound, got %s", err)
	}
}

// TestDeleteAll tests deleting all secrets for a given service.
func TestDeleteAll(t *testing.T) {
	// Set up multiple secrets for the same service
	err := Set(service, user, password)
	if err != nil {
		t.Errorf("Should not fail, got: %s", err)
	}

	err = Set(service, user+"2", password+"2")
	if err != nil {
		t.Errorf("Should not fail, got: %s", err)
	}

	// Delete all secrets for the service
	err = DeleteAll(service)
	if err != nil {
		t.Errorf("Should not fail, got: %s", err)
	}

	// Verify that all secrets for the service are deleted
	_, err = Get(service, user)
	if err != ErrNotFound {
		t.Errorf("Expected error ErrNotFound, got %s", err)
	}

	_, err = Get(service, user+"2")
	if err != ErrNotFound {
		t.Errorf("Expected error ErrNotFound, got %s", err)
	}

	// Verify that DeleteAll on an empty service doesn't cause an error
	err = DeleteAll(service)
	if err != nil {
		t.Errorf("Should not fail on empty service, got: %s", err)
	}
}

// TestDeleteAll with empty service name
func TestDeleteAllEmptyService(t *testing.T) {
	err := Set(service, user, password)

	if err != nil {
		t.Errorf("Should not fail, got: %s", err)
	}
	_ = DeleteAll("")
	_, err = Get(service, user)
	if err == ErrNotFound {
		t.Errorf("Should not have deleted secret from another service")
	}
}

// TestListUsers tests listing all users for a service.
func TestListUsers(t *testing.T) {
	const service2 = "test-service-list"
	err := Set(service2, "user1", "password1")
	if err != nil {
		t.Errorf("Should not fail, got: %s", err)
	}

	err = Set(service2, "user2", "password2")
	if err != nil {
		t.Errorf("Should not fail, got: %s", err)
	}

	err = Set(service2, "user3", "password3")
	if err != nil {
		t.Errorf("Should not fail, got: %s", err)
	}

	users, err := ListUsers(service2)
	if err != nil {
		t.Errorf("Should not fail, got: %s", err)
	}

	if len(users) != 3 {
		t.Errorf("Expected 3 users, got %d", len(users))
	}

	expectedUsers := map[string]bool{"user1": true, "user2": true, "user3": true}
	for _, user := range users {
		if !expectedUsers[user] {
			t.Errorf("Unexpected user: %s", user)
		}
		delete(expectedUsers, user)
	}

	if len(expectedUsers) > 0 {
		t.Errorf("Missing users: %v", expectedUsers)
	}

	_ = DeleteAll(service2)
}

// TestListUsersEmpty tests listing users for a service with no secrets.
func TestListUsersEmpty(t *testing.T) {
	const nonExistentService = "non-existent-service-12345"
	users, err := ListUsers(nonExistentService)
	if err != nil {
		t.Errorf("Should not fail on empty service, got: %s", err)
	}

	if len(users) != 0 {
		t.Errorf("Expected 0 users for non-existent service, got %d", len(users))
	}
}

// TestListUsersSingleUser tests listing users for a service with a single user.
func TestListUsersSingleUser(t *testing.T) {
	const service3 = "test-service-single"
	err := Set(service3, "single-user", "password")
	if err != nil {
		t.Errorf("Should not fail, got: %s", err)
	}

	users, err := ListUsers(service3)
	if err != nil {
		t.Errorf("Should not fail, got: %s", err)
	}

	if len(users) != 1 {
		t.Errorf("Expected 1 user, got %d", len(users))
	}

	if users[0] != "single-user" {
		t.Errorf("Expected user 'single-user', got '%s'", users[0])
	}

	_ = Delete(service3, "single-user")
}

// ExampleListUsers demonstrates listing configured users for a service using the mock provider.
// The example uses MockInit so it runs without requiring a system keyring.
func ExampleListUsers() {
	MockInit()
	defer MockRestore()

	service := "my-cli"

	// Store some credentials
	Set(service, "github", "ghp_token123")
	Set(service, "gitlab", "glpat_token456")
	Set(service, "aws", "aws_secret789")

	// List all configured providers
	users, err := ListUsers(service)
	if err != nil {
		log.Fatal(err)
	}

	sort.Strings(users) // deterministic output for the example
	fmt.Println("Configured providers:")
	for _, u := range users {
		fmt.Printf("  - %s\n", u)
	}

	// Output:
	// Configured providers:
	//   - aws
	//   - github
	//   - gitlab
}

// TestListUsersMultipleServices tests that ListUsers only returns users for the specified service.
func TestListUsersMultipleServices(t *testing.T) {
	const serviceA = "service-a"
	const serviceB = "service-b"

	_ = Set(serviceA, "userA1", "passwordA1")
	_ = Set(serviceA, "userA2", "passwordA2")
	_ = Set(serviceB, "userB1", "passwordB1")

	usersA, err := ListUsers(serviceA)
	if err != nil {
		t.Errorf("Should not fail, got: %s", err)
	}

	if len(usersA) != 2 {
		t.Errorf("Expected 2 users for service A, got %d", len(usersA))
	}

	for _, user := range usersA {
		if user == "userB1" {
			t.Errorf("Service A should not include users from service B")
		}
	}

	usersB, err := ListUsers(serviceB)
	if err != nil {
		t.Errorf("Should not fail, got: %s", err)
	}

	if len(usersB) != 1 {
		t.Errorf("Expected 1 user for service B, got %d", len(usersB))
	}

	if usersB[0] != "userB1" {
		t.Errorf("Expected user 'userB1', got '%s'", usersB[0])
	}

	_ = DeleteAll(serviceA)
	_ = DeleteAll(serviceB)
}
