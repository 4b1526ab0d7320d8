package objstore

import (
	"context"
	"sort"
	"strings"
)

// DefaultMaxKeys is the page size S3 uses when none (or more) is asked for.
const DefaultMaxKeys = 1000

// ListOptions select the keys ListObjects returns.
type ListOptions struct {
	Prefix    string
	Delimiter string
	// Marker lists keys (and common prefixes) after it: ListObjectsV2's
	// StartAfter or continuation, ListObjects' marker.
	Marker string
	// MaxKeys caps objects plus common prefixes; <= 0 or > 1000 means 1000.
	MaxKeys int
}

// ListResult is one page of ListObjects.
type ListResult struct {
	Objects        []ObjectInfo
	CommonPrefixes []string
	IsTruncated    bool
	// NextMarker is the last key or common prefix of a truncated page: pass it
	// as Marker to continue.
	NextMarker string
}

func clampMaxKeys(n int) int {
	if n <= 0 || n > DefaultMaxKeys {
		return DefaultMaxKeys
	}
	return n
}

// startIndex returns the index of the first key that is >= prefix and > marker.
func startIndex(keys []string, prefix, marker string) int {
	if marker < prefix {
		return sort.SearchStrings(keys, prefix)
	}
	i := sort.SearchStrings(keys, marker)
	if i < len(keys) && keys[i] == marker {
		i++
	}
	return i
}

// prefixBlockEnd returns the index just past the run of keys, starting at i,
// that begin with cp.
func prefixBlockEnd(keys []string, i int, cp string) int {
	return i + sort.Search(len(keys)-i, func(n int) bool {
		k := keys[i+n]
		return k > cp && !strings.HasPrefix(k, cp)
	})
}

// commonPrefix returns the common prefix key rolls up into, or "".
func commonPrefix(key, prefix, delimiter string) string {
	if delimiter == "" {
		return ""
	}
	if j := strings.Index(key[len(prefix):], delimiter); j >= 0 {
		return key[:len(prefix)+j+len(delimiter)]
	}
	return ""
}

// ListObjects lists the current versions of keys in sorted order, rolling keys
// up into common prefixes when a delimiter is set. Keys whose latest version
// is a delete marker are not listed.
func (s *Service) ListObjects(ctx context.Context, name string, opts ListOptions) (ListResult, error) {
	var res ListResult
	err := s.readBucket(name, func(b *bucket) { res = b.listObjects(opts) })
	return res, err
}

// readBucket runs read on the named bucket under the read lock, then waits
// until the state it saw is durable.
func (s *Service) readBucket(name string, read func(b *bucket)) error {
	s.mu.RLock()
	b := s.buckets[name]
	if b == nil {
		s.mu.RUnlock()
		return errNoSuchBucket(name)
	}
	read(b)
	seq := b.lastSeq
	s.mu.RUnlock()
	return s.waitDurable(seq)
}

func (b *bucket) listObjects(opts ListOptions) ListResult {
	limit := clampMaxKeys(opts.MaxKeys)
	var res ListResult
	var last string
	count := 0
	keys := b.keys
	for i := startIndex(keys, opts.Prefix, opts.Marker); i < len(keys); {
		k := keys[i]
		if !strings.HasPrefix(k, opts.Prefix) {
			break
		}
		if cp := commonPrefix(k, opts.Prefix, opts.Delimiter); cp != "" {
			end := prefixBlockEnd(keys, i, cp)
			visible := false
			for _, kk := range keys[i:end] {
				if b.current(kk) != nil {
					visible = true
					break
				}
			}
			i = end
			if !visible || cp == opts.Marker {
				continue
			}
			if count == limit {
				res.IsTruncated = true
				break
			}
			res.CommonPrefixes = append(res.CommonPrefixes, cp)
			count++
			last = cp
			continue
		}
		i++
		v := b.current(k)
		if v == nil {
			continue
		}
		if count == limit {
			res.IsTruncated = true
			break
		}
		res.Objects = append(res.Objects, b.info(k, v, true))
		count++
		last = k
	}
	if res.IsTruncated {
		res.NextMarker = last
	}
	return res
}

// VersionListOptions select the versions ListObjectVersions returns.
type VersionListOptions struct {
	Prefix    string
	Delimiter string
	// KeyMarker and VersionIDMarker continue a listing after that version (or
	// after every version of KeyMarker when VersionIDMarker is empty).
	KeyMarker       string
	VersionIDMarker string
	MaxKeys         int
}

// VersionListResult is one page of ListObjectVersions. Versions holds object
// versions and delete markers, by key and then newest first.
type VersionListResult struct {
	Versions            []ObjectInfo
	CommonPrefixes      []string
	IsTruncated         bool
	NextKeyMarker       string
	NextVersionIDMarker string
}

// ListObjectVersions lists every version and delete marker.
func (s *Service) ListObjectVersions(ctx context.Context, name string, opts VersionListOptions) (VersionListResult, error) {
	var res VersionListResult
	err := s.readBucket(name, func(b *bucket) { res = b.listVersions(opts) })
	return res, err
}

func (b *bucket) listVersions(opts VersionListOptions) VersionListResult {
	limit := clampMaxKeys(opts.MaxKeys)
	var res VersionListResult
	var lastKey, lastVersion string
	count := 0
	keys := b.keys
	i := startIndex(keys, opts.Prefix, opts.KeyMarker)
	skipUntil := ""
	if opts.KeyMarker != "" && opts.VersionIDMarker != "" && opts.KeyMarker >= opts.Prefix {
		if j := sort.SearchStrings(keys, opts.KeyMarker); j < len(keys) && keys[j] == opts.KeyMarker {
			i, skipUntil = j, opts.VersionIDMarker
		}
	}
scan:
	for i < len(keys) {
		k := keys[i]
		if !strings.HasPrefix(k, opts.Prefix) {
			break
		}
		if cp := commonPrefix(k, opts.Prefix, opts.Delimiter); cp != "" {
			i = prefixBlockEnd(keys, i, cp)
			skipUntil = ""
			if cp == opts.KeyMarker {
				continue
			}
			if count == limit {
				res.IsTruncated = true
				break
			}
			res.CommonPrefixes = append(res.CommonPrefixes, cp)
			count++
			lastKey, lastVersion = cp, ""
			continue
		}
		i++
		versions := b.objects[k].versions
		if skipUntil != "" {
			for n, v := range versions {
				if v.ID == skipUntil {
					versions = versions[n+1:]
					break
				}
			}
			skipUntil = ""
		}
		for _, v := range versions {
			if count == limit {
				res.IsTruncated = true
				break scan
			}
			oi := b.info(k, v, v == b.objects[k].versions[0])
			oi.VersionID = v.ID
			res.Versions = append(res.Versions, oi)
			count++
			lastKey, lastVersion = k, v.ID
		}
	}
	if res.IsTruncated {
		res.NextKeyMarker, res.NextVersionIDMarker = lastKey, lastVersion
	}
	return res
}
