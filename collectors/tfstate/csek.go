package tfstate

import (
	"encoding/base64"
	"fmt"
	"strings"
)

// ParseCustomerKey decodes a base64 256-bit customer-provided encryption
// key (S3's SSE-C sse_customer_key, GCS's CSEK encryption_key). setting
// names the configuration setting in the error; the key itself never
// appears in it.
func ParseCustomerKey(b64, setting string) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil || len(raw) != 32 {
		return nil, fmt.Errorf("%s must be a base64-encoded 256-bit (32-byte) key", setting)
	}
	return raw, nil
}
