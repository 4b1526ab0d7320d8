package identity

import (
	"context"
	"crypto/rand"
	"maps"
	"math/big"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/dragons-dev/dragons/local/epochtime"
)

// Message is what Cognito would have emailed or texted to a user: a
// confirmation code or an invitation with a temporary password. Locally it is
// logged and kept as the user's last message.
type Message struct {
	Kind              string    `json:"kind"` // MessageConfirmationCode or MessageInvitation
	PoolID            string    `json:"userPoolId"`
	Username          string    `json:"username"`
	DeliveryMedium    string    `json:"deliveryMedium,omitempty"` // EMAIL or SMS
	Destination       string    `json:"destination,omitempty"`
	Code              string    `json:"code,omitempty"`
	TemporaryPassword string    `json:"temporaryPassword,omitempty"`
	Sent              time.Time `json:"sent"`
}

// Message kinds.
const (
	MessageConfirmationCode = "CONFIRMATION_CODE"
	MessageInvitation       = "INVITATION"
)

// confirmationCodeLifetime is how long a sign-up code stays valid.
const confirmationCodeLifetime = 24 * time.Hour

func userNotFound() error {
	return idpErrors.New("UserNotFoundException", "User does not exist.")
}

func notAuthorized(format string, args ...any) error {
	return idpErrors.New("NotAuthorizedException", format, args...)
}

var usernamePattern = regexp.MustCompile(`^[\p{L}\p{M}\p{S}\p{N}\p{P}]{1,128}$`)
var phonePattern = regexp.MustCompile(`^\+[0-9]{4,15}$`)

func isEmail(s string) bool {
	at := strings.IndexByte(s, '@')
	return at > 0 && at < len(s)-1 && !strings.ContainsAny(s, " \t") && strings.Count(s, "@") == 1
}

// userKey is the map key of a user name in p.
func (p *pool) userKey(name string) string {
	if p.CaseSensitive {
		return name
	}
	return strings.ToLower(name)
}

// findUser resolves what a caller typed as a user name: the user name itself,
// an email or phone number used as user name or (verified) alias, or, in pools
// that sign in with email or phone, the user's sub.
func (p *pool) findUser(name string) (*user, bool) {
	if name == "" {
		return nil, false
	}
	if u, ok := p.Users[p.userKey(name)]; ok {
		return u, true
	}
	signIn := append(slices.Clone(p.UsernameAttributes), p.AliasAttributes...)
	if len(signIn) == 0 {
		return nil, false
	}
	for _, u := range p.Users {
		if len(p.UsernameAttributes) > 0 && u.Sub == name {
			return u, true
		}
		for _, attr := range signIn {
			v, ok := u.Attributes[attr]
			if !ok || v == "" {
				continue
			}
			same := v == name
			if attr == "email" || attr == "preferred_username" && !p.CaseSensitive {
				same = strings.EqualFold(v, name)
			}
			if !same {
				continue
			}
			if slices.Contains(p.UsernameAttributes, attr) || attr == "preferred_username" || u.Attributes[attr+"_verified"] == "true" {
				return u, true
			}
		}
	}
	return nil, false
}

// poolUser returns a pool and one of its users, as typed by a caller. Callers
// hold mu.
func (s *Service) poolUser(poolID, username string) (*pool, *user, error) {
	p, err := s.getPool(poolID)
	if err != nil {
		return nil, nil, err
	}
	u, err := p.lookupUser(username)
	if err != nil {
		return nil, nil, err
	}
	return p, u, nil
}

// lookupUser is findUser with Cognito's error.
func (p *pool) lookupUser(name string) (*user, error) {
	if name == "" {
		return nil, invalidParam("1 validation error detected: Value null at 'username' failed to satisfy constraint: Member must not be null")
	}
	u, ok := p.findUser(name)
	if !ok {
		return nil, userNotFound()
	}
	return u, nil
}

func (u *user) clone() *user {
	c := *u
	c.Attributes = maps.Clone(u.Attributes)
	if u.LastMessage != nil {
		m := *u.LastMessage
		c.LastMessage = &m
	}
	return &c
}

// replaceUser stores next in place of prev (nil when creating) and saves the
// pool, restoring prev when the write fails. Callers hold mu.
func (s *Service) replaceUser(p *pool, prev, next *user) error {
	key := p.userKey(next.Username)
	p.Users[key] = next
	if err := s.save(p); err != nil {
		if prev == nil {
			delete(p.Users, key)
		} else {
			p.Users[key] = prev
		}
		return err
	}
	return nil
}

// attributeList renders a user's attributes in a stable order, sub first.
func (u *user) attributeList() []Attribute {
	out := []Attribute{{Name: "sub", Value: u.Sub}}
	names := slices.Sorted(maps.Keys(u.Attributes))
	for _, n := range names {
		if n != "sub" {
			out = append(out, Attribute{Name: n, Value: u.Attributes[n]})
		}
	}
	return out
}

func (u *user) describe() User {
	return User{
		Username:             u.Username,
		Attributes:           u.attributeList(),
		UserCreateDate:       epochtime.Time(u.Created),
		UserLastModifiedDate: epochtime.Time(u.Modified),
		Enabled:              u.Enabled,
		UserStatus:           u.Status,
	}
}

// checkAttributes validates attributes a caller sets on a user and returns
// them as a map. When creating, required schema attributes must be present.
func (p *pool) checkAttributes(in []Attribute, creating bool) (map[string]string, error) {
	bad := func(name, why string) error {
		return invalidParam("Attributes did not conform to the schema: %s: %s", name, why)
	}
	custom := map[string]bool{}
	for _, a := range p.Schema {
		if strings.HasPrefix(a.Name, "custom:") {
			custom[a.Name] = true
		}
	}
	out := map[string]string{}
	for _, a := range in {
		writable, standard := standardAttributes[a.Name]
		switch {
		case standard && !writable:
			return nil, bad(a.Name, "Attribute cannot be updated. (changing an immutable attribute)")
		case !standard && !custom[a.Name]:
			return nil, bad(a.Name, "Attribute does not exist in the schema.")
		}
		if len(a.Value) > 2048 {
			return nil, bad(a.Name, "String must be no longer than 2048 characters")
		}
		switch a.Name {
		case "email":
			if !isEmail(a.Value) {
				return nil, invalidParam("Invalid email address format.")
			}
		case "phone_number":
			if !phonePattern.MatchString(a.Value) {
				return nil, invalidParam("Invalid phone number format.")
			}
		case "email_verified", "phone_number_verified":
			if a.Value != "true" && a.Value != "false" {
				return nil, bad(a.Name, "Value must be true or false")
			}
		}
		out[a.Name] = a.Value
	}
	if creating {
		for _, a := range p.Schema {
			if a.Required && out[a.Name] == "" {
				return nil, bad(a.Name, "The attribute is required")
			}
		}
	}
	return out, nil
}

// newUser validates and builds a user; it is not stored. Callers hold mu.
func (s *Service) newUser(p *pool, username string, attrs []Attribute) (*user, error) {
	if !usernamePattern.MatchString(username) {
		return nil, invalidParam("1 validation error detected: Value '%s' at 'username' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+", username)
	}
	values, err := p.checkAttributes(attrs, true)
	if err != nil {
		return nil, err
	}
	sub := uuid.NewString()
	name := username
	if len(p.UsernameAttributes) > 0 {
		// The typed name is an email or phone number; the user name is the sub.
		switch {
		case slices.Contains(p.UsernameAttributes, "email") && isEmail(username):
			if v, ok := values["email"]; ok && !strings.EqualFold(v, username) {
				return nil, invalidParam("The email attribute must match the user name.")
			}
			values["email"] = username
		case slices.Contains(p.UsernameAttributes, "phone_number") && phonePattern.MatchString(username):
			values["phone_number"] = username
		case len(p.UsernameAttributes) == 2:
			return nil, invalidParam("Username should be either an email or a phone number.")
		case p.UsernameAttributes[0] == "email":
			return nil, invalidParam("Username should be an email.")
		default:
			return nil, invalidParam("Username should be a phone number.")
		}
		name = sub
		for _, attr := range p.UsernameAttributes {
			v := values[attr]
			if v == "" {
				continue
			}
			for _, other := range p.Users {
				if strings.EqualFold(other.Attributes[attr], v) {
					what := "email"
					if attr == "phone_number" {
						what = "phone number"
					}
					return nil, idpErrors.New("UsernameExistsException", "An account with the given %s already exists.", what)
				}
			}
		}
	} else if slices.Contains(p.AliasAttributes, "email") && isEmail(username) {
		return nil, invalidParam("Username cannot be of email format, since user pool is configured for email alias.")
	} else if slices.Contains(p.AliasAttributes, "phone_number") && phonePattern.MatchString(username) {
		return nil, invalidParam("Username cannot be of phone number format, since user pool is configured for phone_number alias.")
	}
	if _, exists := p.Users[p.userKey(name)]; exists {
		return nil, idpErrors.New("UsernameExistsException", "User account already exists")
	}
	now := s.now().UTC()
	return &user{Username: name, Sub: sub, Attributes: values, Enabled: true, Created: now, Modified: now}, nil
}

// send records (and logs) a message to u. Callers hold mu and save u.
func (s *Service) send(p *pool, u *user, m Message) {
	m.PoolID, m.Username, m.Sent = p.ID, u.Username, s.now().UTC()
	if m.DeliveryMedium == "" {
		if v := u.Attributes["email"]; v != "" {
			m.DeliveryMedium, m.Destination = "EMAIL", v
		} else if v := u.Attributes["phone_number"]; v != "" {
			m.DeliveryMedium, m.Destination = "SMS", v
		}
	}
	u.LastMessage = &m
	s.log.Info("cognito message (not delivered: local cloud)", "kind", m.Kind, "userPoolId", p.ID, "username", u.Username,
		"destination", m.Destination, "code", m.Code, "temporaryPassword", m.TemporaryPassword)
}

func (s *Service) newCode() string {
	if s.fixedCode != "" {
		return s.fixedCode
	}
	n, _ := rand.Int(rand.Reader, big.NewInt(1000000))
	return strings.Repeat("0", 6-len(n.String())) + n.String()
}

// issueCode gives u a fresh confirmation code, sends it, and returns where it
// went (nil when the pool verifies no attribute automatically).
func (s *Service) issueCode(p *pool, u *user) *CodeDeliveryDetails {
	u.Code = s.newCode()
	u.CodeExpires = s.now().Add(confirmationCodeLifetime)
	for _, attr := range []string{"email", "phone_number"} {
		if v := u.Attributes[attr]; v != "" && slices.Contains(p.AutoVerified, attr) {
			medium := "EMAIL"
			if attr == "phone_number" {
				medium = "SMS"
			}
			u.CodeAttribute = attr
			s.send(p, u, Message{Kind: MessageConfirmationCode, Code: u.Code, DeliveryMedium: medium, Destination: v})
			return &CodeDeliveryDetails{Destination: mask(attr, v), DeliveryMedium: medium, AttributeName: attr}
		}
	}
	u.CodeAttribute = ""
	s.send(p, u, Message{Kind: MessageConfirmationCode, Code: u.Code})
	return nil
}

// mask hides most of a destination, as Cognito's CodeDeliveryDetails do.
func mask(attr, v string) string {
	if attr == "email" {
		local, domain, _ := strings.Cut(v, "@")
		return local[:1] + "***@" + domain[:1] + "***"
	}
	if len(v) <= 4 {
		return v
	}
	return "+" + strings.Repeat("*", len(v)-5) + v[len(v)-4:]
}

// AdminCreateUser creates a user with a temporary password (generated when
// none is given); the user must change it at first sign-in.
func (s *Service) AdminCreateUser(_ context.Context, in *AdminCreateUserInput) (*AdminCreateUserOutput, error) {
	if err := onlyValues("messageAction", nonEmpty(in.MessageAction), "RESEND", "SUPPRESS"); err != nil {
		return nil, err
	}
	if err := onlyValues("desiredDeliveryMediums", in.DesiredDeliveryMediums, "EMAIL", "SMS"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.getPool(in.UserPoolID)
	if err != nil {
		return nil, err
	}
	temp := in.TemporaryPassword
	if temp != "" {
		if err := checkPassword(p.Policy, temp); err != nil {
			return nil, err
		}
	} else {
		temp = generatePassword(p.Policy)
	}
	hash, err := hashPassword(temp)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	if in.MessageAction == "RESEND" {
		prev, err := p.lookupUser(in.Username)
		if err != nil {
			return nil, err
		}
		if prev.Status != StatusForceChangePassword {
			return nil, idpErrors.New("UnsupportedUserStateException", "Resend not possible. %s status is not FORCE_CHANGE_PASSWORD", prev.Username)
		}
		u := prev.clone()
		u.PasswordHash, u.PasswordSet, u.Modified = hash, now, now
		s.send(p, u, Message{Kind: MessageInvitation, TemporaryPassword: temp})
		if err := s.replaceUser(p, prev, u); err != nil {
			return nil, err
		}
		return &AdminCreateUserOutput{User: u.describe()}, nil
	}
	u, err := s.newUser(p, in.Username, in.UserAttributes)
	if err != nil {
		return nil, err
	}
	u.Status = StatusForceChangePassword
	u.PasswordHash, u.PasswordSet = hash, now
	if in.MessageAction != "SUPPRESS" {
		s.send(p, u, Message{Kind: MessageInvitation, TemporaryPassword: temp})
	}
	if err := s.replaceUser(p, nil, u); err != nil {
		return nil, err
	}
	return &AdminCreateUserOutput{User: u.describe()}, nil
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// AdminSetUserPassword sets a user's password: permanent (the user is
// confirmed) or temporary (the user must change it at next sign-in).
func (s *Service) AdminSetUserPassword(_ context.Context, in *AdminSetUserPasswordInput) (*Empty, error) {
	err := s.updateUser(in.UserPoolID, in.Username, func(p *pool, u *user) error {
		if err := checkPassword(p.Policy, in.Password); err != nil {
			return err
		}
		hash, err := hashPassword(in.Password)
		if err != nil {
			return err
		}
		u.PasswordHash, u.PasswordSet = hash, u.Modified
		if in.Permanent {
			u.Status = StatusConfirmed
		} else {
			u.Status = StatusForceChangePassword
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// AdminGetUser describes a user.
func (s *Service) AdminGetUser(_ context.Context, in *AdminUserInput) (*AdminGetUserOutput, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, u, err := s.poolUser(in.UserPoolID, in.Username)
	if err != nil {
		return nil, err
	}
	return &AdminGetUserOutput{
		Username:             u.Username,
		UserAttributes:       u.attributeList(),
		UserCreateDate:       epochtime.Time(u.Created),
		UserLastModifiedDate: epochtime.Time(u.Modified),
		Enabled:              u.Enabled,
		UserStatus:           u.Status,
	}, nil
}

// AdminDeleteUser deletes a user.
func (s *Service) AdminDeleteUser(_ context.Context, in *AdminUserInput) (*Empty, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, u, err := s.poolUser(in.UserPoolID, in.Username)
	if err != nil {
		return nil, err
	}
	key := p.userKey(u.Username)
	delete(p.Users, key)
	if err := s.save(p); err != nil {
		p.Users[key] = u
		return nil, err
	}
	return &Empty{}, nil
}

// updateUser applies change to a copy of the named user, whose Modified time
// is already set to now, and stores it.
func (s *Service) updateUser(poolID, username string, change func(p *pool, u *user) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, prev, err := s.poolUser(poolID, username)
	if err != nil {
		return err
	}
	u := prev.clone()
	u.Modified = s.now().UTC()
	if err := change(p, u); err != nil {
		return err
	}
	return s.replaceUser(p, prev, u)
}

// AdminConfirmSignUp confirms a signed-up user without a code.
func (s *Service) AdminConfirmSignUp(_ context.Context, in *AdminUserInput) (*Empty, error) {
	err := s.updateUser(in.UserPoolID, in.Username, func(_ *pool, u *user) error {
		if u.Status != StatusUnconfirmed {
			return notAuthorized("User cannot be confirmed. Current status is %s", u.Status)
		}
		u.Status, u.Code = StatusConfirmed, ""
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// AdminEnableUser enables a user.
func (s *Service) AdminEnableUser(_ context.Context, in *AdminUserInput) (*Empty, error) {
	if err := s.updateUser(in.UserPoolID, in.Username, func(_ *pool, u *user) error { u.Enabled = true; return nil }); err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// AdminDisableUser disables a user; a disabled user cannot sign in or refresh.
func (s *Service) AdminDisableUser(_ context.Context, in *AdminUserInput) (*Empty, error) {
	if err := s.updateUser(in.UserPoolID, in.Username, func(_ *pool, u *user) error { u.Enabled = false; return nil }); err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// signedClient is clientByID followed by the client's SECRET_HASH check for
// username, as the unsigned user operations start. Callers hold mu.
func (s *Service) signedClient(clientID, secretHash, username string) (*pool, *client, error) {
	p, c, err := s.clientByID(clientID)
	if err != nil {
		return nil, nil, err
	}
	if err := checkSecretHash(c, secretHash, username); err != nil {
		return nil, nil, err
	}
	return p, c, nil
}

// SignUp registers an unconfirmed user and issues a confirmation code.
func (s *Service) SignUp(_ context.Context, in *SignUpInput) (*SignUpOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, _, err := s.signedClient(in.ClientID, in.SecretHash, in.Username)
	if err != nil {
		return nil, err
	}
	if p.AdminCreateUserOnly {
		return nil, notAuthorized("SignUp is not permitted for this user pool")
	}
	if err := checkPassword(p.Policy, in.Password); err != nil {
		return nil, err
	}
	u, err := s.newUser(p, in.Username, in.UserAttributes)
	if err != nil {
		return nil, err
	}
	if u.PasswordHash, err = hashPassword(in.Password); err != nil {
		return nil, err
	}
	u.Status, u.PasswordSet = StatusUnconfirmed, u.Created
	delivery := s.issueCode(p, u)
	if err := s.replaceUser(p, nil, u); err != nil {
		return nil, err
	}
	return &SignUpOutput{UserConfirmed: false, CodeDeliveryDetails: delivery, UserSub: u.Sub}, nil
}

// ConfirmSignUp confirms a user with the code SignUp issued.
func (s *Service) ConfirmSignUp(_ context.Context, in *ConfirmSignUpInput) (*Empty, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, c, err := s.signedClient(in.ClientID, in.SecretHash, in.Username)
	if err != nil {
		return nil, err
	}
	prev, ok := p.findUser(in.Username)
	if !ok {
		if c.PreventUserExistenceErrors == "ENABLED" {
			return nil, idpErrors.New("CodeMismatchException", "Invalid verification code provided, please try again.")
		}
		return nil, userNotFound()
	}
	if prev.Status != StatusUnconfirmed {
		return nil, notAuthorized("User cannot be confirmed. Current status is %s", prev.Status)
	}
	if prev.Code == "" || in.ConfirmationCode != prev.Code {
		return nil, idpErrors.New("CodeMismatchException", "Invalid verification code provided, please try again.")
	}
	if s.now().After(prev.CodeExpires) {
		return nil, idpErrors.New("ExpiredCodeException", "Invalid code provided, please request a code again.")
	}
	u := prev.clone()
	u.Status, u.Modified = StatusConfirmed, s.now().UTC()
	if u.CodeAttribute != "" {
		u.Attributes[u.CodeAttribute+"_verified"] = "true"
	}
	u.Code, u.CodeAttribute = "", ""
	if err := s.replaceUser(p, prev, u); err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// ResendConfirmationCode issues a new confirmation code to an unconfirmed user.
func (s *Service) ResendConfirmationCode(_ context.Context, in *ResendConfirmationCodeInput) (*ResendConfirmationCodeOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, _, err := s.signedClient(in.ClientID, in.SecretHash, in.Username)
	if err != nil {
		return nil, err
	}
	prev, err := p.lookupUser(in.Username)
	if err != nil {
		return nil, err
	}
	if prev.Status != StatusUnconfirmed {
		return nil, invalidParam("User is already confirmed.")
	}
	u := prev.clone()
	delivery := s.issueCode(p, u)
	if err := s.replaceUser(p, prev, u); err != nil {
		return nil, err
	}
	return &ResendConfirmationCodeOutput{CodeDeliveryDetails: delivery}, nil
}

// LastMessage returns the last message sent to a user (a confirmation code or
// an invitation), for local tooling and tests.
func (s *Service) LastMessage(_ context.Context, poolID, username string) (Message, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, u, err := s.poolUser(poolID, username)
	if err != nil {
		return Message{}, err
	}
	if u.LastMessage == nil {
		return Message{}, idpErrors.New("ResourceNotFoundException", "No message was sent to %s.", username)
	}
	return *u.LastMessage, nil
}
