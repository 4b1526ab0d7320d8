package objstore

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"strconv"
)

func (s *Service) createUpload(w http.ResponseWriter, r *http.Request, bucket, key string) error {
	opts := putOptionsFromHeader(r.Header)
	opts.IfMatch, opts.IfNoneMatch = "", ""
	if a := r.Header.Get("x-amz-checksum-algorithm"); a != "" {
		if normalizeAlg(a) == "" {
			return s3Errors.New(CodeInvalidRequest, "Checksum algorithm %q is not supported", a)
		}
		opts.ChecksumAlgorithm = a
	}
	id, err := s.CreateMultipartUpload(r.Context(), bucket, key, opts)
	if err != nil {
		return err
	}
	if opts.ChecksumAlgorithm != "" {
		w.Header().Set("x-amz-checksum-algorithm", normalizeAlg(opts.ChecksumAlgorithm))
		w.Header().Set("x-amz-checksum-type", "FULL_OBJECT")
	}
	writeXML(w, struct {
		XMLName  xml.Name `xml:"InitiateMultipartUploadResult"`
		NS       string   `xml:"xmlns,attr"`
		Bucket   string   `xml:"Bucket"`
		Key      string   `xml:"Key"`
		UploadID string   `xml:"UploadId"`
	}{NS: s3NS, Bucket: bucket, Key: key, UploadID: id})
	return nil
}

// serveUpload handles the requests addressed to one multipart upload.
func (s *Service) serveUpload(w http.ResponseWriter, r *http.Request, bucket, key, uploadID string, q url.Values) error {
	switch r.Method {
	case http.MethodPut:
		if r.Header.Get("x-amz-copy-source") != "" {
			return errUnsupported(r, "uploadId with x-amz-copy-source (UploadPartCopy)")
		}
		return s.uploadPart(w, r, bucket, key, uploadID, q)
	case http.MethodPost:
		return s.completeUpload(w, r, bucket, key, uploadID)
	case http.MethodDelete:
		if err := s.AbortMultipartUpload(r.Context(), bucket, key, uploadID); err != nil {
			return err
		}
		writeEmpty(w, http.StatusNoContent)
		return nil
	case http.MethodGet:
		return s.listParts(w, r, bucket, key, uploadID, q)
	}
	return errMethod(r)
}

func (s *Service) uploadPart(w http.ResponseWriter, r *http.Request, bucket, key, uploadID string, q url.Values) error {
	// A malformed or out-of-range number fails validPartNumber.
	number, _ := strconv.Atoi(q.Get("partNumber"))
	if err := validPartNumber(number); err != nil {
		return err
	}
	checks, err := parseBodyChecks(r.Header)
	if err != nil {
		return err
	}
	uploadAlg, err := s.uploadAlgorithm(bucket, key, uploadID)
	if err != nil {
		return err
	}
	if uploadAlg != "" && r.Header.Get("X-Amz-Sdk-Checksum-Algorithm") == "" && checks.trailer == "" && checks.expected == "" {
		checks.alg = uploadAlg
	}
	ing, err := s.readVerified(r, s.ingestPart, checks)
	if err != nil {
		return err
	}
	info, err := s.commitPart(bucket, key, uploadID, number, ing)
	if err != nil {
		return err
	}
	w.Header().Set("ETag", info.ETag)
	w.Header().Set(checksumHeader(info.ChecksumAlgorithm), info.Checksum)
	writeEmpty(w, http.StatusOK)
	return nil
}

type completedPartXML struct {
	PartNumber        int    `xml:"PartNumber"`
	ETag              string `xml:"ETag"`
	ChecksumCRC32     string `xml:"ChecksumCRC32"`
	ChecksumCRC32C    string `xml:"ChecksumCRC32C"`
	ChecksumCRC64NVME string `xml:"ChecksumCRC64NVME"`
	ChecksumSHA1      string `xml:"ChecksumSHA1"`
	ChecksumSHA256    string `xml:"ChecksumSHA256"`
}

func (p completedPartXML) checksum() string {
	for _, v := range []string{p.ChecksumCRC32, p.ChecksumCRC32C, p.ChecksumCRC64NVME, p.ChecksumSHA1, p.ChecksumSHA256} {
		if v != "" {
			return v
		}
	}
	return ""
}

// completeRequestXML is the CompleteMultipartUpload request body.
type completeRequestXML struct {
	XMLName xml.Name           `xml:"CompleteMultipartUpload"`
	Parts   []completedPartXML `xml:"Part"`
}

// parseCompleteRequest decodes a CompleteMultipartUpload body into its parts,
// in request order. An empty body names no parts.
func parseCompleteRequest(body []byte) ([]CompletedPart, error) {
	var req completeRequestXML
	if err := decodeXML(body, &req); err != nil {
		return nil, err
	}
	parts := make([]CompletedPart, len(req.Parts))
	for i, p := range req.Parts {
		parts[i] = CompletedPart{PartNumber: p.PartNumber, ETag: p.ETag, Checksum: p.checksum()}
	}
	return parts, nil
}

func (s *Service) completeUpload(w http.ResponseWriter, r *http.Request, bucket, key, uploadID string) error {
	body, err := readXMLBody(r)
	if err != nil {
		return err
	}
	parts, err := parseCompleteRequest(body)
	if err != nil {
		return err
	}
	info, err := s.CompleteMultipartUpload(r.Context(), bucket, key, uploadID, parts, PutOptions{IfMatch: r.Header.Get("If-Match"), IfNoneMatch: r.Header.Get("If-None-Match")})
	if err != nil {
		return err
	}
	if info.VersionID != "" {
		w.Header().Set("x-amz-version-id", info.VersionID)
	}
	out := struct {
		XMLName  xml.Name `xml:"CompleteMultipartUploadResult"`
		NS       string   `xml:"xmlns,attr"`
		Location string   `xml:"Location"`
		Bucket   string   `xml:"Bucket"`
		Key      string   `xml:"Key"`
		copyResultXML
	}{NS: s3NS, Location: "/" + bucket + "/" + key, Bucket: bucket, Key: key, copyResultXML: copyResult(&info)}
	out.copyResultXML.NS, out.LastModified = "", ""
	writeXML(w, out)
	return nil
}

func (s *Service) listParts(w http.ResponseWriter, r *http.Request, bucket, key, uploadID string, q url.Values) error {
	up, parts, err := s.ListParts(r.Context(), bucket, key, uploadID)
	if err != nil {
		return err
	}
	marker, _ := strconv.Atoi(q.Get("part-number-marker"))
	maxParts := 1000
	if v := q.Get("max-parts"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 && n < maxParts {
			maxParts = n
		}
	}
	type partXML struct {
		PartNumber        int    `xml:"PartNumber"`
		LastModified      string `xml:"LastModified"`
		ETag              string `xml:"ETag"`
		Size              int64  `xml:"Size"`
		ChecksumCRC32     string `xml:"ChecksumCRC32,omitempty"`
		ChecksumCRC32C    string `xml:"ChecksumCRC32C,omitempty"`
		ChecksumCRC64NVME string `xml:"ChecksumCRC64NVME,omitempty"`
		ChecksumSHA1      string `xml:"ChecksumSHA1,omitempty"`
		ChecksumSHA256    string `xml:"ChecksumSHA256,omitempty"`
	}
	out := struct {
		XMLName              xml.Name  `xml:"ListPartsResult"`
		NS                   string    `xml:"xmlns,attr"`
		Bucket               string    `xml:"Bucket"`
		Key                  string    `xml:"Key"`
		UploadID             string    `xml:"UploadId"`
		PartNumberMarker     int       `xml:"PartNumberMarker"`
		NextPartNumberMarker int       `xml:"NextPartNumberMarker,omitempty"`
		MaxParts             int       `xml:"MaxParts"`
		IsTruncated          bool      `xml:"IsTruncated"`
		Initiator            ownerXML  `xml:"Initiator"`
		Owner                ownerXML  `xml:"Owner"`
		StorageClass         string    `xml:"StorageClass"`
		ChecksumAlgorithm    string    `xml:"ChecksumAlgorithm,omitempty"`
		Parts                []partXML `xml:"Part"`
	}{NS: s3NS, Bucket: bucket, Key: key, UploadID: uploadID, PartNumberMarker: marker, MaxParts: maxParts,
		Initiator: owner, Owner: owner, StorageClass: "STANDARD", ChecksumAlgorithm: up.ChecksumAlgorithm}
	for _, p := range parts {
		if p.PartNumber <= marker {
			continue
		}
		if len(out.Parts) == maxParts {
			out.IsTruncated = true
			break
		}
		px := partXML{PartNumber: p.PartNumber, LastModified: timeXML(p.LastModified), ETag: p.ETag, Size: p.Size}
		c := copyResultXML{}
		setChecksumField(&c, p.ChecksumAlgorithm, p.Checksum)
		px.ChecksumCRC32, px.ChecksumCRC32C, px.ChecksumCRC64NVME, px.ChecksumSHA1, px.ChecksumSHA256 = c.ChecksumCRC32, c.ChecksumCRC32C, c.ChecksumCRC64NVME, c.ChecksumSHA1, c.ChecksumSHA256
		out.Parts = append(out.Parts, px)
	}
	if out.IsTruncated {
		out.NextPartNumberMarker = out.Parts[len(out.Parts)-1].PartNumber
	}
	writeXML(w, out)
	return nil
}

func (s *Service) listUploads(w http.ResponseWriter, r *http.Request, bucket string, q url.Values) error {
	uploads, err := s.ListMultipartUploads(r.Context(), bucket, q.Get("prefix"))
	if err != nil {
		return err
	}
	type uploadXML struct {
		Key               string   `xml:"Key"`
		UploadID          string   `xml:"UploadId"`
		Initiator         ownerXML `xml:"Initiator"`
		Owner             ownerXML `xml:"Owner"`
		StorageClass      string   `xml:"StorageClass"`
		Initiated         string   `xml:"Initiated"`
		ChecksumAlgorithm string   `xml:"ChecksumAlgorithm,omitempty"`
	}
	out := struct {
		XMLName     xml.Name    `xml:"ListMultipartUploadsResult"`
		NS          string      `xml:"xmlns,attr"`
		Bucket      string      `xml:"Bucket"`
		KeyMarker   string      `xml:"KeyMarker"`
		Prefix      string      `xml:"Prefix"`
		MaxUploads  int         `xml:"MaxUploads"`
		IsTruncated bool        `xml:"IsTruncated"`
		Uploads     []uploadXML `xml:"Upload"`
	}{NS: s3NS, Bucket: bucket, Prefix: q.Get("prefix"), MaxUploads: 1000}
	for _, u := range uploads {
		out.Uploads = append(out.Uploads, uploadXML{Key: u.Key, UploadID: u.UploadID, Initiator: owner, Owner: owner, StorageClass: "STANDARD",
			Initiated: timeXML(u.Initiated), ChecksumAlgorithm: u.ChecksumAlgorithm})
	}
	writeXML(w, out)
	return nil
}
