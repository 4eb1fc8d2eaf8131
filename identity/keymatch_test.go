package identity

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/internal/jsonscan"
)

var keyWords = jsonscan.NewWords("password", "secret", "token", "privatekey", "credential", "passphrase", "plaintext",
	"sessionkey", "authkey", "apikey", "userdata")

func TestEventResourcesKeyMatch(t *testing.T) {
	const (
		plainReq  = `{"groupId":"sg-0abc","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":22,"toPort":22,"description":"password"}]}}`
		plainResp = `{"_return":true,"securityGroupRuleSet":{"items":[{"groupId":"sg-0abc","securityGroupRuleId":"sgr-0123"}]}}`
		secretReq = `{"groupId":"sg-0abc","ipPermissions":{"items":[{"ipProtocol":"tcp","MasterUserPassword":"x"}]}}`
		secretRsp = `{"_return":true,"credentials":{"sessionToken":"x"}}`
		escReq    = `{"groupId":"sg-0abc","\u0074oken":"x"}`
	)
	for _, tc := range []struct {
		name      string
		req, resp string
		want      bool
	}{
		{"none", "", "", false},
		{"plain", plainReq, plainResp, false},
		{"request only", secretReq, "", true},
		{"request", secretReq, plainResp, true},
		{"response only", "", secretRsp, true},
		{"response", plainReq, secretRsp, true},
		{"both", secretReq, secretRsp, true},
		{"escaped key", escReq, plainResp, true},
		{"invalid request", `{"groupId":"sg-0abc",}`, plainResp, true},
		{"invalid response", plainReq, `{"_return":true`, true},
		{"request not an object", `["password"]`, plainResp, true},
		{"response not JSON", plainReq, `nope`, true},
		{"empty request", "\x00"[:0], plainResp, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mk := func(words *jsonscan.Words) *Record {
				r := &Record{EventSource: "ec2.amazonaws.com", EventName: "AuthorizeSecurityGroupIngress", Region: region, Account: acct, KeyWords: words}
				if tc.req != "" || tc.name == "empty request" {
					r.Request = []byte(tc.req)
				}
				if tc.resp != "" {
					r.Response = []byte(tc.resp)
				}
				return r
			}
			with := mk(keyWords)
			with.KeyMatch = !tc.want // overwritten
			refs := EventResources(with)
			require.Equal(t, tc.want, with.KeyMatch)
			// The words change nothing else.
			without := mk(nil)
			require.Equal(t, EventResources(without), refs)
			require.False(t, without.KeyMatch)
			without.KeyMatch = true // left as it is without words
			EventResources(without)
			require.True(t, without.KeyMatch)
		})
	}
}

// TestEventResourcesKeyMatchEveryRow: the words change no event's
// resources.
func TestEventResourcesKeyMatchEveryRow(t *testing.T) {
	for _, row := range everyRow {
		without := record(t, row.source, row.event, row.req, row.resp)
		with := record(t, row.source, row.event, row.req, row.resp)
		with.KeyWords = keyWords
		require.Equal(t, EventResources(without), EventResources(with), "%s %s", row.source, row.event)
	}
}
