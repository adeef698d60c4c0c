package securestore

import (
	"context"

	"github.com/securestore-go/securestore/internal/keys"
	"github.com/securestore-go/securestore/internal/record"
)

// AuthItemOpensWithDeviceKeyForTest plays an attacker who has the store's
// files and its device key (the file protector's) but not the passcode:
// it tries to open the stored item (service "app") with every class key
// the device key unwraps, and with a presence key derived from each. It
// reports the stored class byte and whether any key opened the item.
func AuthItemOpensWithDeviceKeyForTest(ctx context.Context, s *Store, key string) (class uint8, opened bool, err error) {
	v, done, err := s.ownDB(ctx)
	if err != nil {
		return 0, false, err
	}
	defer done()
	class, blob, err := v.db.GetProven(ctx, v.meta.ServiceTag(DefaultService), v.meta.ItemID(DefaultService, key))
	if err != nil {
		return 0, false, err
	}
	st, err := v.readPasscodeState(ctx)
	if err != nil {
		return 0, false, err
	}
	device, err := v.unwrapClassKeys(st.wrapped, keys.WrapDevice, v.deviceKEK())
	if err != nil {
		return 0, false, err
	}
	defer wipeKeys(device)
	ad := record.ItemAD(v.id, DefaultService, key, class)
	for _, k := range device {
		pk := keys.PresenceKey(k, v.id)
		for _, candidate := range [][]byte{k, pk} {
			aead, _ := record.NewAEAD(candidate)
			if _, err := record.Open(aead, blob, ad); err == nil {
				opened = true
			}
			record.ZeroAEAD(aead)
		}
		keys.Wipe(pk)
	}
	return class, opened, nil
}
