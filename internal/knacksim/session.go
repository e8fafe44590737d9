package knacksim

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"
)

// User is an account of the app's user store, for remote logins and
// view-based requests on login-protected scenes.
type User struct {
	ID          string   `json:"id"` // 24-hex; generated when empty
	Email       string   `json:"email"`
	Password    string   `json:"-"`
	Name        string   `json:"name"`
	ProfileKeys []string `json:"profile_keys"` // e.g. ["profile_3"]
}

// Token lifetimes (docs/knack-api.md §1).
const (
	tokenLifetime    = 48 * time.Hour
	rememberLifetime = 14 * 24 * time.Hour
)

type userStore struct {
	mu      sync.RWMutex
	byID    map[string]User
	byEmail map[string]string // lower-case email -> id
}

// AddUser adds (or replaces, by id) a user and returns it with its id.
func (s *Server) AddUser(u User) User {
	if u.ID == "" {
		u.ID = s.newID()
	}
	s.users.mu.Lock()
	defer s.users.mu.Unlock()
	if s.users.byID == nil {
		s.users.byID = make(map[string]User)
		s.users.byEmail = make(map[string]string)
	}
	s.users.byID[u.ID] = u
	s.users.byEmail[strings.ToLower(strings.TrimSpace(u.Email))] = u.ID
	return u
}

// tokenKey signs user tokens; it is derived from the API key, so a token
// is only valid for the simulator that issued it.
func (s *Server) tokenKey() []byte {
	k := sha256.Sum256([]byte("knacksim token " + s.appID + " " + s.apiKey))
	return k[:]
}

type tokenClaims struct {
	UserID        string `json:"user_id"`
	ApplicationID string `json:"application_id"`
	IssuedAt      int64  `json:"iat"`
	Expires       int64  `json:"exp"`
}

var b64 = base64.RawURLEncoding

// issueToken makes an HS256 JWT like Knack's documented sample (clients
// should treat it as opaque).
func (s *Server) issueToken(userID string, remember bool) string {
	now := s.now()
	life := tokenLifetime
	if remember {
		life = rememberLifetime
	}
	payload, _ := json.Marshal(tokenClaims{UserID: userID, ApplicationID: s.appID, IssuedAt: now.Unix(), Expires: now.Add(life).Unix()})
	msg := b64.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + b64.EncodeToString(payload)
	mac := hmac.New(sha256.New, s.tokenKey())
	mac.Write([]byte(msg))
	return msg + "." + b64.EncodeToString(mac.Sum(nil))
}

var errBadToken = errors.New("invalid token")

// validToken checks a user token and returns its user.
func (s *Server) validToken(token string) (User, error) {
	token = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(token), "Bearer "))
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return User{}, errBadToken
	}
	mac := hmac.New(sha256.New, s.tokenKey())
	mac.Write([]byte(parts[0] + "." + parts[1]))
	sig, err := b64.DecodeString(parts[2])
	if err != nil || subtle.ConstantTimeCompare(sig, mac.Sum(nil)) != 1 {
		return User{}, errBadToken
	}
	payload, err := b64.DecodeString(parts[1])
	if err != nil {
		return User{}, errBadToken
	}
	var c tokenClaims
	if json.Unmarshal(payload, &c) != nil || c.ApplicationID != s.appID || s.now().Unix() >= c.Expires {
		return User{}, errBadToken
	}
	s.users.mu.RLock()
	u, ok := s.users.byID[c.UserID]
	s.users.mu.RUnlock()
	if !ok {
		return User{}, errBadToken
	}
	return u, nil
}

// sessionUser is the session.user object of the login and token answers.
func sessionUser(u User, token string) map[string]any {
	keys := u.ProfileKeys
	if keys == nil {
		keys = []string{}
	}
	m := map[string]any{
		"id":              u.ID,
		"email":           u.Email,
		"values":          map[string]any{"name": u.Name, "email": map[string]string{"email": u.Email}},
		"profile_keys":    keys,
		"profile_objects": []any{},
		"approval_status": "approved",
		"account_status":  "active",
		"status":          "active",
	}
	if token != "" {
		m["token"] = token
	}
	return m
}

// handleLogin is POST /v1/applications/{app}/session with
// {"email","password"[,"remember"]}.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) error {
	body, err := decodeBody(r)
	if err != nil {
		return err
	}
	email, _ := body["email"].(string)
	password, _ := body["password"].(string)
	s.users.mu.RLock()
	u, ok := s.users.byID[s.users.byEmail[strings.ToLower(strings.TrimSpace(email))]]
	s.users.mu.RUnlock()
	if !ok || email == "" || subtle.ConstantTimeCompare([]byte(u.Password), []byte(password)) != 1 {
		return jsonError(http.StatusUnauthorized, "Email or password incorrect.")
	}
	remember, _ := parseBool(body["remember"])
	return writeValue(w, map[string]any{"session": map[string]any{"user": sessionUser(u, s.issueToken(u.ID, remember))}})
}

// handleToken is GET /v1/session/token with the token in Authorization.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) error {
	u, err := s.validToken(r.Header.Get("Authorization"))
	if err != nil {
		return jsonError(http.StatusUnauthorized, "Invalid token. Please reauthenticate.")
	}
	return writeValue(w, map[string]any{"session": map[string]any{"user": sessionUser(u, "")}})
}
