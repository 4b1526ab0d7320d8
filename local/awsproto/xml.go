package awsproto

import (
	"encoding/xml"
	"net/http"
	"strconv"
)

// WriteXML writes a 200 response (or status, when non-zero) with v encoded as XML
// behind the standard declaration.
func WriteXML(w http.ResponseWriter, status int, v any) {
	body, err := xml.Marshal(v)
	if err != nil {
		WriteRESTXMLError(w, AsError(err), "")
		return
	}
	body = append([]byte(xml.Header), body...)
	h := w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	setRequestID(h)
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

type restXMLError struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	Resource  string   `xml:"Resource,omitempty"`
	RequestID string   `xml:"RequestId"`
}

// WriteRESTXMLError writes e in S3's REST-XML error shape. resource names the bucket
// or key the error is about and may be empty. HEAD requests get no body, as S3 does.
func WriteRESTXMLError(w http.ResponseWriter, e *Error, resource string) {
	h := w.Header()
	for k, v := range e.Header {
		h[k] = v
	}
	setRequestID(h)
	id := h.Get("X-Amzn-RequestId")
	h.Set("X-Amz-Request-Id", id)
	body, _ := xml.Marshal(restXMLError{Code: e.Code, Message: e.Message, Resource: resource, RequestID: id})
	body = append([]byte(xml.Header), body...)
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(e.Status)
	_, _ = w.Write(body)
}

type queryError struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Error   struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
		Detail  string `xml:"Detail"`
	} `xml:"Error"`
	RequestID string `xml:"RequestId"`
}

// WriteQueryError writes e in the query protocol's error shape (used by SQS's
// older clients).
func WriteQueryError(w http.ResponseWriter, e *Error) {
	var q queryError
	q.Error.Type = "Receiver"
	if e.Sender {
		q.Error.Type = "Sender"
	}
	q.Error.Code = e.Code
	q.Error.Message = e.Message
	h := w.Header()
	for k, v := range e.Header {
		h[k] = v
	}
	setRequestID(h)
	q.RequestID = h.Get("X-Amzn-RequestId")
	body, _ := xml.Marshal(q)
	body = append([]byte(xml.Header), body...)
	h.Set("Content-Type", "text/xml")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(e.Status)
	_, _ = w.Write(body)
}
