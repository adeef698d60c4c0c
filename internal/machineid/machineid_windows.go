package machineid

import "golang.org/x/sys/windows/registry"

// The MachineGuid that Windows setup writes once per installation.
var platformSources = []Source{
	{"machine-guid", func() ([]byte, error) {
		k, err := registry.OpenKey(registry.LOCAL_MACHINE, `SOFTWARE\Microsoft\Cryptography`,
			registry.QUERY_VALUE|registry.WOW64_64KEY)
		if err != nil {
			return nil, err
		}
		defer k.Close()
		s, _, err := k.GetStringValue("MachineGuid")
		return nonEmpty([]byte(s), err)
	}},
}
