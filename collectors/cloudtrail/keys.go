package cloudtrail

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awscloudtrail "github.com/aws/aws-sdk-go-v2/service/cloudtrail"
)

// PublicKeys finds the CloudTrail public keys that verify digest signatures.
type PublicKeys interface {
	// Keys returns the keys that may have signed a digest of this region
	// with this digestPublicKeyFingerprint ending at t. No keys and a nil
	// error mean none is known (the digest fails validation); an error means
	// the keys could not be looked up (validation is retried next cycle).
	Keys(ctx context.Context, region, fingerprint string, t time.Time) ([]*rsa.PublicKey, error)
}

// ListPublicKeysAPI is the part of the CloudTrail client APIPublicKeys uses.
type ListPublicKeysAPI interface {
	ListPublicKeys(ctx context.Context, in *awscloudtrail.ListPublicKeysInput, opts ...func(*awscloudtrail.Options)) (*awscloudtrail.ListPublicKeysOutput, error)
}

// APIPublicKeys fetches CloudTrail's public keys with ListPublicKeys (in the
// digest's region, for the hour the digest ends) and caches them per
// fingerprint for the life of the process.
type APIPublicKeys struct {
	// Client returns the CloudTrail client for a region.
	Client func(region string) ListPublicKeysAPI

	mu    sync.Mutex
	cache map[string]*rsa.PublicKey
}

// NewAPIPublicKeys builds a ListPublicKeys-backed key provider.
func NewAPIPublicKeys(client func(region string) ListPublicKeysAPI) *APIPublicKeys {
	return &APIPublicKeys{Client: client, cache: map[string]*rsa.PublicKey{}}
}

// Keys implements PublicKeys.
func (a *APIPublicKeys) Keys(ctx context.Context, region, fingerprint string, t time.Time) ([]*rsa.PublicKey, error) {
	a.mu.Lock()
	if a.cache == nil {
		a.cache = map[string]*rsa.PublicKey{}
	}
	k, ok := a.cache[fingerprint]
	a.mu.Unlock()
	if ok {
		return []*rsa.PublicKey{k}, nil
	}
	client := a.Client(region)
	in := &awscloudtrail.ListPublicKeysInput{StartTime: aws.Time(t.Add(-time.Hour)), EndTime: aws.Time(t)}
	var found *rsa.PublicKey
	for {
		out, err := client.ListPublicKeys(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("listing CloudTrail public keys in %s: %w", region, err)
		}
		for _, pk := range out.PublicKeyList {
			fp := aws.ToString(pk.Fingerprint)
			key, err := parseDERPublicKey(pk.Value)
			if err != nil {
				continue // not a key we can use; another may match
			}
			a.mu.Lock()
			a.cache[fp] = key
			a.mu.Unlock()
			if fp == fingerprint {
				found = key
			}
		}
		if out.NextToken == nil || aws.ToString(out.NextToken) == "" {
			break
		}
		in.NextToken = out.NextToken
	}
	if found == nil {
		return nil, nil
	}
	return []*rsa.PublicKey{found}, nil
}

// parseDERPublicKey parses a ListPublicKeys Value: DER PKCS#1
// RSAPublicKey as documented, or a DER SubjectPublicKeyInfo (some keys in
// AWS's own ListPublicKeys sample response are in that form).
func parseDERPublicKey(der []byte) (*rsa.PublicKey, error) {
	if k, err := x509.ParsePKCS1PublicKey(der); err == nil {
		return k, nil
	}
	pk, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, errors.New("not a DER RSA public key (PKCS#1 or SubjectPublicKeyInfo)")
	}
	rk, ok := pk.(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("not an RSA public key")
	}
	return rk, nil
}

// PEMPublicKeys are public keys read from a PEM file (tests, offline
// validation). Each block is "RSA PUBLIC KEY" (PKCS#1 DER, what
// ListPublicKeys returns) or "PUBLIC KEY" (PKIX). A block with a
// "Fingerprint" header is used for digests with that
// digestPublicKeyFingerprint only; a block without one is tried for every
// digest (the signature check, not the fingerprint, is what proves a digest).
type PEMPublicKeys struct {
	byFingerprint map[string][]*rsa.PublicKey
	any           []*rsa.PublicKey
}

// LoadPEMPublicKeys reads a PEM file of CloudTrail public keys.
func LoadPEMPublicKeys(path string) (*PEMPublicKeys, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading public keys: %w", err)
	}
	k, err := ParsePEMPublicKeys(data)
	if err != nil {
		return nil, fmt.Errorf("public keys file %s: %w", path, err)
	}
	return k, nil
}

// ParsePEMPublicKeys parses PEM-encoded CloudTrail public keys.
func ParsePEMPublicKeys(data []byte) (*PEMPublicKeys, error) {
	k := &PEMPublicKeys{byFingerprint: map[string][]*rsa.PublicKey{}}
	n := 0
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		n++
		var key *rsa.PublicKey
		switch b.Type {
		case "RSA PUBLIC KEY":
			pk, err := x509.ParsePKCS1PublicKey(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("key %d: %w", n, err)
			}
			key = pk
		case "PUBLIC KEY":
			pk, err := x509.ParsePKIXPublicKey(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("key %d: %w", n, err)
			}
			rk, ok := pk.(*rsa.PublicKey)
			if !ok {
				return nil, fmt.Errorf("key %d: not an RSA public key", n)
			}
			key = rk
		default:
			return nil, fmt.Errorf("key %d: unexpected PEM block %q (want RSA PUBLIC KEY or PUBLIC KEY)", n, b.Type)
		}
		if fp := strings.TrimSpace(b.Headers["Fingerprint"]); fp != "" {
			k.byFingerprint[fp] = append(k.byFingerprint[fp], key)
		} else {
			k.any = append(k.any, key)
		}
	}
	if n == 0 {
		return nil, errors.New("no PEM public key found")
	}
	return k, nil
}

// Keys implements PublicKeys.
func (k *PEMPublicKeys) Keys(_ context.Context, _, fingerprint string, _ time.Time) ([]*rsa.PublicKey, error) {
	out := append([]*rsa.PublicKey(nil), k.byFingerprint[fingerprint]...)
	return append(out, k.any...), nil
}

// NewAPIPublicKeysFromConfig builds a ListPublicKeys key provider with one
// CloudTrail client per region from an AWS configuration.
func NewAPIPublicKeysFromConfig(ac aws.Config) *APIPublicKeys {
	var mu sync.Mutex
	clients := map[string]ListPublicKeysAPI{}
	return NewAPIPublicKeys(func(region string) ListPublicKeysAPI {
		mu.Lock()
		defer mu.Unlock()
		c, ok := clients[region]
		if !ok {
			c = awscloudtrail.NewFromConfig(ac, func(o *awscloudtrail.Options) {
				if region != "" {
					o.Region = region
				}
			})
			clients[region] = c
		}
		return c
	})
}
