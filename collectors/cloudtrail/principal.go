package cloudtrail

import (
	"strings"

	"github.com/driftwarden/driftwarden/model"
)

// principal resolves who acted. It never fails: an unknown or missing
// userIdentity type gives the best id the record offers, and "unknown" when
// it offers none.
func principal(u *userIdentity) model.Principal {
	p := model.Principal{Type: u.Type, ID: u.ARN}
	switch u.Type {
	case "IAMUser", "Directory", "Unknown":
		// Directory: a directory (WorkDocs, WorkMail) user; Unknown: for
		// example an IAM Identity Center user signing in. A console sign-in
		// failure with a mistyped user name hides it.
		if u.UserName != hiddenUserName {
			p.Person = u.UserName
		}
	case "AssumedRole", "Role":
		if u.SessionContext != nil {
			p.Issuer = u.SessionContext.SessionIssuer.ARN
		}
		session := sessionName(u)
		switch {
		case u.SessionContext != nil && u.SessionContext.SourceIdentity != "":
			p.Person = u.SessionContext.SourceIdentity
		case isSSORole(p.Issuer) || isSSORole(u.ARN):
			p.Person = session
		case looksLikePerson(session):
			p.Person = session
		}
	case "Root":
		if p.ID == "" && u.AccountID != "" {
			p.ID = "arn:aws:iam::" + u.AccountID + ":root"
		}
	case "FederatedUser":
		if u.SessionContext != nil {
			p.Issuer = u.SessionContext.SessionIssuer.ARN
		}
		p.Person = sessionName(u)
	case "SAMLUser", "WebIdentityUser":
		p.Person = u.UserName
		p.Issuer = u.IdentityProvider
		if p.ID == "" {
			p.ID = u.PrincipalID
		}
	case "AWSAccount":
		if p.ID == "" {
			p.ID = u.AccountID
		}
		if p.ID == "" {
			p.ID = u.PrincipalID
		}
	case "AWSService":
		if p.ID == "" {
			p.ID = u.InvokedBy
		}
	case "IdentityCenterUser":
		if u.OnBehalfOf != nil {
			p.Person = u.OnBehalfOf.UserID
			p.Issuer = u.OnBehalfOf.IdentityStoreArn
			if p.ID == "" {
				p.ID = u.OnBehalfOf.UserID
			}
		}
		if u.UserName != "" {
			p.Person = u.UserName
		}
	}
	if p.ID == "" {
		for _, s := range []string{u.PrincipalID, u.UserName, u.InvokedBy} {
			if s != "" {
				p.ID = s
				break
			}
		}
	}
	if p.ID == "" && u.AccountID != "" {
		p.ID = u.AccountID
	}
	if p.Type == "" {
		switch {
		case u.InvokedBy != "" && u.ARN == "":
			p.Type = "AWSService"
		default:
			p.Type = "Unknown"
		}
	}
	if p.ID == "" {
		p.ID = "unknown"
	}
	return p
}

// hiddenUserName is the userName of a console sign-in failure caused by a
// mistyped user name (CloudTrail does not record what was typed).
const hiddenUserName = "HIDDEN_DUE_TO_SECURITY_REASONS"

// sessionName is the role session name (or federated user name): the last
// segment of the ARN, else what follows ":" in the principal id.
func sessionName(u *userIdentity) string {
	if u.Type == "FederatedUser" {
		if i := strings.LastIndexByte(u.ARN, '/'); i >= 0 {
			return u.ARN[i+1:]
		}
	}
	if strings.Contains(u.ARN, ":assumed-role/") {
		if i := strings.LastIndexByte(u.ARN, '/'); i >= 0 {
			return u.ARN[i+1:]
		}
	}
	if i := strings.IndexByte(u.PrincipalID, ':'); i >= 0 {
		return u.PrincipalID[i+1:]
	}
	return ""
}

func isSSORole(arn string) bool {
	return strings.Contains(arn, "AWSReservedSSO_")
}

var machineWords = []string{"session", "terraform", "botocore", "boto", "aws", "sdk", "lambda", "ecs", "eks", "github", "gitlab", "jenkins",
	"pipeline", "deploy", "cicd", "ci-", "atlantis", "spacelift", "cloudformation", "autoscaling", "backup", "config", "cli", "role", "task", "runner", "bot"}

// looksLikePerson guesses whether a role session name names a person: an
// email address, or a plain name (letters, dots, dashes, underscores, no
// digits, no machine words) such as "alice" or "jane.doe".
func looksLikePerson(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	if at := strings.IndexByte(s, '@'); at > 0 && strings.IndexByte(s[at:], '.') > 0 {
		return true
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	l := strings.ToLower(s)
	for _, w := range machineWords {
		if strings.Contains(l, w) {
			return false
		}
	}
	return true
}

// viaCached is via, remembered per file (ar): a file holds a few user
// agents in thousands of records.
func viaCached(r *rawRecord, ar *arena) model.Via {
	if ar == nil || r.SessionCredentialFromConsole.V || r.EventSource == signinSource {
		return via(r)
	}
	k := [3]string{r.UserAgent, r.UserIdentity.InvokedBy, r.UserIdentity.Type}
	if v, ok := ar.vias[k]; ok {
		return v
	}
	v := via(r)
	if ar.vias == nil {
		ar.vias = make(map[[3]string]model.Via, 16)
	}
	if len(ar.vias) < maxInterned {
		ar.vias[k] = v
	}
	return v
}

// signinSource is the event source of console sign-in events.
const signinSource = "signin.amazonaws.com"

// via says how the call was made.
func via(r *rawRecord) model.Via {
	if r.SessionCredentialFromConsole.V || r.EventSource == signinSource {
		// Sign-in events (ConsoleLogin, SwitchRole, ...) are console
		// actions whatever browser the user agent names.
		return model.ViaConsole
	}
	// S3 data events bracket the agent: "[aws-cli/2.15.30 ...]".
	ua := strings.TrimPrefix(r.UserAgent, "[")
	switch {
	case strings.Contains(ua, "Terraform/") || strings.Contains(ua, "HashiCorp") || strings.Contains(ua, "terraform-provider-aws") || strings.Contains(ua, "OpenTofu/"):
		return model.ViaTerraform
	case strings.Contains(ua, "cloudformation.amazonaws.com") || r.UserIdentity.InvokedBy == "cloudformation.amazonaws.com":
		return model.ViaCloudFormation
	case strings.HasPrefix(ua, "aws-cli/") || strings.Contains(ua, " aws-cli/"):
		return model.ViaCLI
	case strings.Contains(ua, "console.amazonaws.com") || strings.Contains(ua, "console.aws.amazon.com") || strings.HasPrefix(ua, "signin.amazonaws.com") ||
		strings.Contains(ua, ".console.") || strings.HasPrefix(ua, "console.") || strings.Contains(ua, "S3Console/"):
		return model.ViaConsole
	case strings.Contains(ua, "aws-sdk-") || strings.Contains(ua, "Boto3/") || strings.Contains(ua, "botocore/") || strings.Contains(ua, "aws-go-sdk"):
		return model.ViaSDK
	case strings.HasPrefix(ua, "Mozilla/"):
		// A browser: the console, when no SDK is named.
		return model.ViaConsole
	case r.UserIdentity.Type == "AWSService" || r.UserIdentity.InvokedBy != "" || ua == "AWS Internal" || strings.HasSuffix(ua, ".amazonaws.com"):
		return model.ViaService
	}
	return model.ViaOther
}
