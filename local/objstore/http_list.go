package objstore

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"strconv"

	"github.com/dragons-dev/dragons/local/awsproto"
)

type contentXML struct {
	Key               string    `xml:"Key"`
	LastModified      string    `xml:"LastModified"`
	ETag              string    `xml:"ETag"`
	Size              int64     `xml:"Size"`
	StorageClass      string    `xml:"StorageClass"`
	ChecksumAlgorithm string    `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType      string    `xml:"ChecksumType,omitempty"`
	Owner             *ownerXML `xml:"Owner,omitempty"`
}

type prefixXML struct {
	Prefix string `xml:"Prefix"`
}

// listParams holds the query parameters the list operations share.
type listParams struct {
	prefix, delimiter string
	maxKeys           int
	encode            func(string) string
	encodingType      string
}

func parseListParams(q url.Values) (listParams, error) {
	p := listParams{prefix: q.Get("prefix"), delimiter: q.Get("delimiter"), maxKeys: DefaultMaxKeys, encode: func(s string) string { return s }}
	if v := q.Get("max-keys"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return p, s3Errors.New(CodeInvalidArgument, "Provided max-keys not an integer or within integer range")
		}
		p.maxKeys = min(n, DefaultMaxKeys)
	}
	switch et := q.Get("encoding-type"); et {
	case "":
	case "url":
		p.encodingType = et
		p.encode = url.QueryEscape
	default:
		return p, s3Errors.New(CodeInvalidArgument, "Invalid Encoding Method specified in Request")
	}
	return p, nil
}

func (p listParams) contents(objs []ObjectInfo, withOwner bool) []contentXML {
	out := make([]contentXML, len(objs))
	for i, o := range objs {
		out[i] = contentXML{Key: p.encode(o.Key), LastModified: timeXML(o.LastModified), ETag: o.ETag, Size: o.Size, StorageClass: "STANDARD", ChecksumAlgorithm: o.ChecksumAlgorithm}
		if o.ChecksumAlgorithm != "" {
			out[i].ChecksumType = "FULL_OBJECT"
		}
		if withOwner {
			out[i].Owner = &owner
		}
	}
	return out
}

func (p listParams) prefixes(cps []string) []prefixXML {
	out := make([]prefixXML, len(cps))
	for i, cp := range cps {
		out[i] = prefixXML{p.encode(cp)}
	}
	return out
}

// list runs ListObjects, answering max-keys=0 with an empty page.
func (s *Service) list(r *http.Request, bucket string, p listParams, marker string) (ListResult, error) {
	if p.maxKeys == 0 {
		if err := s.HeadBucket(r.Context(), bucket); err != nil {
			return ListResult{}, err
		}
		return ListResult{}, nil
	}
	return s.ListObjects(r.Context(), bucket, ListOptions{Prefix: p.prefix, Delimiter: p.delimiter, Marker: marker, MaxKeys: p.maxKeys})
}

func (s *Service) listV2(w http.ResponseWriter, r *http.Request, bucket string, q url.Values) error {
	p, err := parseListParams(q)
	if err != nil {
		return err
	}
	token := q.Get("continuation-token")
	marker := q.Get("start-after")
	if token != "" {
		if marker, err = decodeToken(token); err != nil {
			return err
		}
	}
	res, err := s.list(r, bucket, p, marker)
	if err != nil {
		return err
	}
	out := struct {
		XMLName               xml.Name     `xml:"ListBucketResult"`
		NS                    string       `xml:"xmlns,attr"`
		Name                  string       `xml:"Name"`
		Prefix                string       `xml:"Prefix"`
		Delimiter             string       `xml:"Delimiter,omitempty"`
		MaxKeys               int          `xml:"MaxKeys"`
		EncodingType          string       `xml:"EncodingType,omitempty"`
		KeyCount              int          `xml:"KeyCount"`
		IsTruncated           bool         `xml:"IsTruncated"`
		ContinuationToken     string       `xml:"ContinuationToken,omitempty"`
		NextContinuationToken string       `xml:"NextContinuationToken,omitempty"`
		StartAfter            string       `xml:"StartAfter,omitempty"`
		Contents              []contentXML `xml:"Contents"`
		CommonPrefixes        []prefixXML  `xml:"CommonPrefixes"`
	}{
		NS: s3NS, Name: bucket, Prefix: p.encode(p.prefix), Delimiter: p.encode(p.delimiter), MaxKeys: p.maxKeys,
		EncodingType: p.encodingType, KeyCount: len(res.Objects) + len(res.CommonPrefixes), IsTruncated: res.IsTruncated,
		ContinuationToken: token, StartAfter: p.encode(q.Get("start-after")),
		Contents: p.contents(res.Objects, q.Get("fetch-owner") == "true"), CommonPrefixes: p.prefixes(res.CommonPrefixes),
	}
	if res.IsTruncated {
		out.NextContinuationToken = encodeToken(res.NextMarker)
	}
	writeXML(w, out)
	return nil
}

func (s *Service) listV1(w http.ResponseWriter, r *http.Request, bucket string, q url.Values) error {
	p, err := parseListParams(q)
	if err != nil {
		return err
	}
	marker := q.Get("marker")
	res, err := s.list(r, bucket, p, marker)
	if err != nil {
		return err
	}
	out := struct {
		XMLName        xml.Name     `xml:"ListBucketResult"`
		NS             string       `xml:"xmlns,attr"`
		Name           string       `xml:"Name"`
		Prefix         string       `xml:"Prefix"`
		Marker         string       `xml:"Marker"`
		NextMarker     string       `xml:"NextMarker,omitempty"`
		Delimiter      string       `xml:"Delimiter,omitempty"`
		MaxKeys        int          `xml:"MaxKeys"`
		EncodingType   string       `xml:"EncodingType,omitempty"`
		IsTruncated    bool         `xml:"IsTruncated"`
		Contents       []contentXML `xml:"Contents"`
		CommonPrefixes []prefixXML  `xml:"CommonPrefixes"`
	}{
		NS: s3NS, Name: bucket, Prefix: p.encode(p.prefix), Marker: p.encode(marker), Delimiter: p.encode(p.delimiter),
		MaxKeys: p.maxKeys, EncodingType: p.encodingType, IsTruncated: res.IsTruncated,
		Contents: p.contents(res.Objects, true), CommonPrefixes: p.prefixes(res.CommonPrefixes),
	}
	if res.IsTruncated {
		out.NextMarker = p.encode(res.NextMarker)
	}
	writeXML(w, out)
	return nil
}

type versionEntryXML struct {
	XMLName           xml.Name
	Key               string   `xml:"Key"`
	VersionID         string   `xml:"VersionId"`
	IsLatest          bool     `xml:"IsLatest"`
	LastModified      string   `xml:"LastModified"`
	ETag              string   `xml:"ETag,omitempty"`
	Size              *int64   `xml:"Size,omitempty"`
	StorageClass      string   `xml:"StorageClass,omitempty"`
	ChecksumAlgorithm string   `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType      string   `xml:"ChecksumType,omitempty"`
	Owner             ownerXML `xml:"Owner"`
}

func (s *Service) listVersions(w http.ResponseWriter, r *http.Request, bucket string, q url.Values) error {
	p, err := parseListParams(q)
	if err != nil {
		return err
	}
	keyMarker, versionMarker := q.Get("key-marker"), q.Get("version-id-marker")
	var res VersionListResult
	if p.maxKeys == 0 {
		err = s.HeadBucket(r.Context(), bucket)
	} else {
		res, err = s.ListObjectVersions(r.Context(), bucket, VersionListOptions{
			Prefix: p.prefix, Delimiter: p.delimiter, KeyMarker: keyMarker, VersionIDMarker: versionMarker, MaxKeys: p.maxKeys,
		})
	}
	if err != nil {
		return err
	}
	out := struct {
		XMLName             xml.Name          `xml:"ListVersionsResult"`
		NS                  string            `xml:"xmlns,attr"`
		Name                string            `xml:"Name"`
		Prefix              string            `xml:"Prefix"`
		KeyMarker           string            `xml:"KeyMarker"`
		VersionIDMarker     string            `xml:"VersionIdMarker"`
		NextKeyMarker       string            `xml:"NextKeyMarker,omitempty"`
		NextVersionIDMarker string            `xml:"NextVersionIdMarker,omitempty"`
		Delimiter           string            `xml:"Delimiter,omitempty"`
		MaxKeys             int               `xml:"MaxKeys"`
		EncodingType        string            `xml:"EncodingType,omitempty"`
		IsTruncated         bool              `xml:"IsTruncated"`
		Entries             []versionEntryXML `xml:""`
		CommonPrefixes      []prefixXML       `xml:"CommonPrefixes"`
	}{
		NS: s3NS, Name: bucket, Prefix: p.encode(p.prefix), KeyMarker: p.encode(keyMarker), VersionIDMarker: versionMarker,
		Delimiter: p.encode(p.delimiter), MaxKeys: p.maxKeys, EncodingType: p.encodingType, IsTruncated: res.IsTruncated,
		CommonPrefixes: p.prefixes(res.CommonPrefixes),
	}
	if res.IsTruncated {
		out.NextKeyMarker, out.NextVersionIDMarker = p.encode(res.NextKeyMarker), res.NextVersionIDMarker
	}
	for _, v := range res.Versions {
		e := versionEntryXML{Key: p.encode(v.Key), VersionID: v.VersionID, IsLatest: v.IsLatest, LastModified: timeXML(v.LastModified), Owner: owner}
		if v.DeleteMarker {
			e.XMLName.Local = "DeleteMarker"
		} else {
			size := v.Size
			e.XMLName.Local = "Version"
			e.ETag, e.Size, e.StorageClass = v.ETag, &size, "STANDARD"
			if v.ChecksumAlgorithm != "" {
				e.ChecksumAlgorithm, e.ChecksumType = v.ChecksumAlgorithm, "FULL_OBJECT"
			}
		}
		out.Entries = append(out.Entries, e)
	}
	writeXML(w, out)
	return nil
}

// writeXML writes a 200 response with v as its XML body.
func writeXML(w http.ResponseWriter, v any) {
	id := awsproto.NewRequestID()
	h := w.Header()
	h.Set("x-amz-request-id", id)
	h.Set("X-Amzn-RequestId", id)
	awsproto.WriteXML(w, http.StatusOK, v)
}
