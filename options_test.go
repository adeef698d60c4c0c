package securestore

import (
	"errors"
	"testing"
)

func TestAccessibilityNames(t *testing.T) {
	// The numbers are on disk: they must never change.
	want := map[Accessibility]struct {
		n          int
		goName     string
		expo, cli  string
		deviceOnly bool
	}{
		WhenUnlocked:                   {0, "WhenUnlocked", "WHEN_UNLOCKED", "when-unlocked", false},
		AfterFirstUnlock:               {1, "AfterFirstUnlock", "AFTER_FIRST_UNLOCK", "after-first-unlock", false},
		Always:                         {2, "Always", "ALWAYS", "always", false},
		WhenUnlockedThisDeviceOnly:     {3, "WhenUnlockedThisDeviceOnly", "WHEN_UNLOCKED_THIS_DEVICE_ONLY", "when-unlocked-this-device-only", true},
		WhenPasscodeSetThisDeviceOnly:  {4, "WhenPasscodeSetThisDeviceOnly", "WHEN_PASSCODE_SET_THIS_DEVICE_ONLY", "when-passcode-set-this-device-only", true},
		AfterFirstUnlockThisDeviceOnly: {5, "AfterFirstUnlockThisDeviceOnly", "AFTER_FIRST_UNLOCK_THIS_DEVICE_ONLY", "after-first-unlock-this-device-only", true},
		AlwaysThisDeviceOnly:           {6, "AlwaysThisDeviceOnly", "ALWAYS_THIS_DEVICE_ONLY", "always-this-device-only", true},
	}
	if len(want) != int(numClasses) {
		t.Fatalf("%d classes tested, %d declared", len(want), numClasses)
	}
	var zero Accessibility
	if zero != WhenUnlocked {
		t.Fatal("the zero value must be WhenUnlocked, Expo's SecureStore default")
	}
	for a, w := range want {
		if int(a) != w.n || a.String() != w.goName || a.ThisDeviceOnly() != w.deviceOnly {
			t.Errorf("%d: String %q ThisDeviceOnly %v; want %d %q %v", int(a), a, a.ThisDeviceOnly(), w.n, w.goName, w.deviceOnly)
		}
		if got := a.Kebab(); got != w.cli {
			t.Errorf("%v.Kebab() = %q, want %q", a, got, w.cli)
		}
		for _, s := range []string{w.goName, w.expo, w.cli} {
			if got, err := ParseAccessibility(s); err != nil || got != a {
				t.Errorf("ParseAccessibility(%q) = %v, %v; want %v", s, got, err, a)
			}
		}
	}
	for _, bad := range []string{"", "never", "when unlocked", "WhenUnlockedX", "w-h-e-n-unlocked", "when_unlocked-this-device-only"} {
		if _, err := ParseAccessibility(bad); !errors.Is(err, ErrInvalidOption) {
			t.Errorf("ParseAccessibility(%q) err = %v, want ErrInvalidOption", bad, err)
		}
	}
	if got := Accessibility(42).String(); got != "Accessibility(42)" {
		t.Errorf("String of an unknown class = %q", got)
	}
}

func TestValidName(t *testing.T) {
	for _, ok := range []string{"a", "A.b-c_9", ".", "..", "-"} {
		if err := validName("key", ok); err != nil {
			t.Errorf("validName(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "a b", "é", "a/b", "a\x00"} {
		if err := validName("key", bad); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("validName(%q) = %v, want ErrInvalidKey", bad, err)
		}
	}
}
