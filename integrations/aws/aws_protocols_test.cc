// Tests of the pieces under AwsApiClient: the service table (botocore's
// metadata, the SDK's service and error names Step Functions shows), the
// endpoints (overrides, AWS's own, S3 addressing), the JSON, S3 REST-XML
// and query protocols (requests built, answers read, errors named) and the
// XML reader.
#include <string>

#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "integrations/aws/aws_endpoints.h"
#include "integrations/aws/aws_json_protocol.h"
#include "integrations/aws/aws_query_protocol.h"
#include "integrations/aws/aws_s3_protocol.h"
#include "integrations/aws/service_table.h"
#include "integrations/aws/xml_reader.h"

namespace stepwise::integrations {
namespace {

json::value J(const char* text) { return *ParseJson(text); }

const AwsServiceInfo& Service(const char* name) {
  const AwsServiceInfo* s = FindAwsService(name);
  EXPECT_NE(s, nullptr) << name;
  static const AwsServiceInfo kNone{};
  return s == nullptr ? kNone : *s;
}

TEST(ServiceTableTest, MetadataFromBotocore) {
  const AwsServiceInfo& ddb = Service("dynamodb");
  EXPECT_EQ(ddb.sdk_name, "DynamoDb");
  EXPECT_EQ(ddb.protocol, AwsProtocol::kJson);
  EXPECT_EQ(ddb.json_version, "1.0");
  EXPECT_EQ(ddb.target_prefix, "DynamoDB_20120810");
  EXPECT_EQ(ddb.signing_name, "dynamodb");
  const AwsServiceInfo& sfn = Service("sfn");
  EXPECT_EQ(sfn.sdk_name, "Sfn");
  EXPECT_EQ(sfn.target_prefix, "AWSStepFunctions");
  EXPECT_EQ(sfn.endpoint_prefix, "states");
  EXPECT_EQ(sfn.signing_name, "states");
  EXPECT_EQ(Service("secretsmanager").sdk_name, "SecretsManager");
  EXPECT_EQ(Service("secretsmanager").json_version, "1.1");
  EXPECT_EQ(Service("eventbridge").endpoint_prefix, "events");
  EXPECT_EQ(Service("eventbridge").target_prefix, "AWSEvents");
  EXPECT_EQ(Service("sqs").target_prefix, "AmazonSQS");
  EXPECT_EQ(Service("cloudwatchlogs").endpoint_prefix, "logs");
  EXPECT_EQ(Service("acmpca").sdk_name, "AcmPca");  // AWS's documented example
  EXPECT_EQ(Service("kms").target_prefix, "TrentService");
  EXPECT_EQ(Service("ssm").sdk_name, "Ssm");
  EXPECT_EQ(Service("kinesis").target_prefix, "Kinesis_20131202");
  EXPECT_EQ(Service("s3").protocol, AwsProtocol::kRestXml);
  EXPECT_EQ(Service("sns").protocol, AwsProtocol::kQuery);
  EXPECT_EQ(Service("sns").api_version, "2010-03-31");
  EXPECT_EQ(FindAwsService("events"), nullptr);  // aws-sdk says eventbridge
  EXPECT_EQ(FindAwsService("nosuchservice"), nullptr);
}

TEST(ServiceTableTest, HelpTextListsEveryServiceWrapped) {
  std::string text = AwsServicesText("  ", 60);
  std::string words = " " + text;
  for (char& c : words) c = c == '\n' ? ' ' : c;
  EXPECT_NE(words.find(" dynamodb "), std::string::npos);
  EXPECT_NE(words.find(" sfn "), std::string::npos);
  EXPECT_NE(text.find("sns (publish)"), std::string::npos);
  EXPECT_NE(text.find("s3 (getObject, putObject, listObjectsV2, headObject)"), std::string::npos);
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    EXPECT_LE(line.size(), 60u) << line;
    EXPECT_EQ(line.substr(0, 2), "  ");
  }
}

TEST(ServiceTableTest, SupportedOperations) {
  EXPECT_TRUE(Service("dynamodb").Supports("GetItem"));
  EXPECT_TRUE(Service("s3").Supports("GetObject"));
  EXPECT_TRUE(Service("s3").Supports("ListObjectsV2"));
  EXPECT_FALSE(Service("s3").Supports("CreateBucket"));
  EXPECT_TRUE(Service("sns").Supports("Publish"));
  EXPECT_FALSE(Service("sns").Supports("CreateTopic"));
  EXPECT_EQ(OperationName("getItem"), "GetItem");
  EXPECT_EQ(OperationName("listObjectsV2"), "ListObjectsV2");
}

// The error names of the recorded aws-sdk cases (LocalStack's snapshots of
// AWS): a modeled exception keeps its shape's name ("Exception" appended
// when it lacks it); anything else is the service's base exception.
TEST(ServiceTableTest, ErrorNamesAsRecorded) {
  EXPECT_EQ(Service("sfn").ErrorName("InvalidToken"), "Sfn.InvalidTokenException");
  EXPECT_EQ(Service("sfn").ErrorName("com.amazonaws.swf.base.model#InvalidToken"),
            "Sfn.InvalidTokenException");
  EXPECT_EQ(Service("dynamodb").ErrorName("ResourceNotFoundException"),
            "DynamoDb.ResourceNotFoundException");
  EXPECT_EQ(Service("dynamodb").ErrorName("ValidationException"), "DynamoDb.DynamoDbException");
  EXPECT_EQ(Service("dynamodb").ErrorName(
                "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"),
            "DynamoDb.ConditionalCheckFailedException");
  EXPECT_EQ(Service("secretsmanager").ErrorName("ValidationException"),
            "SecretsManager.SecretsManagerException");
  EXPECT_EQ(Service("s3").ErrorName("NoSuchBucket"), "S3.NoSuchBucketException");
  EXPECT_EQ(Service("s3").ErrorName("NoSuchKey"), "S3.NoSuchKeyException");
  EXPECT_EQ(Service("s3").ErrorName("SlowDown"), "S3.S3Exception");
  EXPECT_EQ(Service("sqs").ErrorName("com.amazonaws.sqs#QueueDoesNotExist"),
            "Sqs.QueueDoesNotExistException");
  EXPECT_EQ(Service("sns").ErrorName("NotFound"), "Sns.NotFoundException");
  EXPECT_EQ(Service("sns").ErrorName(""), "Sns.SnsException");
}

TEST(EndpointsTest, OverrideElseAwsOwn) {
  AwsEndpoints e({{"dynamodb", "http://127.0.0.1:8000/"}, {"s3", "http://127.0.0.1:4568"}});
  AwsEndpoint ddb = e.For(Service("dynamodb"), "eu-west-1");
  EXPECT_EQ(ddb.url, "http://127.0.0.1:8000");
  EXPECT_TRUE(ddb.custom);
  AwsEndpoint sfn = e.For(Service("sfn"), "eu-west-1");
  EXPECT_EQ(sfn.url, "https://states.eu-west-1.amazonaws.com");
  EXPECT_FALSE(sfn.custom);
  EXPECT_EQ(e.For(Service("eventbridge"), "cn-north-1").url,
            "https://events.cn-north-1.amazonaws.com.cn");
  // S3: path-style at a configured endpoint, virtual-hosted at AWS's.
  AwsEndpoint s3 = e.For(Service("s3"), "us-east-1");
  EXPECT_EQ(AwsEndpoints::S3Url(s3, "my-bucket", "dir/a b+c.txt", ""),
            "http://127.0.0.1:4568/my-bucket/dir/a%20b%2Bc.txt");
  EXPECT_EQ(AwsEndpoints::S3Url(s3, "my-bucket", "", "list-type=2"),
            "http://127.0.0.1:4568/my-bucket?list-type=2");
  AwsEndpoint aws_s3 = AwsEndpoints().For(Service("s3"), "us-west-2");
  EXPECT_EQ(AwsEndpoints::S3Url(aws_s3, "my-bucket", "k", ""),
            "https://my-bucket.s3.us-west-2.amazonaws.com/k");
  EXPECT_EQ(AwsEndpoints::S3Url(aws_s3, "My.Bucket", "k", ""),
            "https://s3.us-west-2.amazonaws.com/My.Bucket/k");
}

TEST(JsonProtocolTest, RequestCarriesTargetAndVersion) {
  net::HttpClientRequest r = JsonProtocolRequest(Service("dynamodb"), {"http://h:1", true},
                                                 "GetItem", J(R"({"TableName":"t"})"));
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "http://h:1/");
  EXPECT_EQ(r.headers["x-amz-target"], "DynamoDB_20120810.GetItem");
  EXPECT_EQ(r.headers["content-type"], "application/x-amz-json-1.0");
  EXPECT_EQ(r.body, R"({"TableName":"t"})");
  r = JsonProtocolRequest(Service("secretsmanager"), {"http://h:1", true}, "ListSecrets",
                          json::value());
  EXPECT_EQ(r.headers["content-type"], "application/x-amz-json-1.1");
  EXPECT_EQ(r.headers["x-amz-target"], "secretsmanager.ListSecrets");
  EXPECT_EQ(r.body, "{}");
}

TEST(JsonProtocolTest, AnswersAndErrors) {
  net::HttpClientResponse ok{200, "", {}, R"({"Item":{"id":{"S":"1"}}})"};
  AwsApiResponse out;
  ReadJsonProtocolAnswer(ok, out);
  EXPECT_EQ(SerializeJson(out.output), R"({"Item":{"id":{"S":"1"}}})");

  net::HttpClientResponse empty{200, "", {}, ""};
  out = {};
  ReadJsonProtocolAnswer(empty, out);
  EXPECT_EQ(SerializeJson(out.output), "{}");

  net::HttpClientResponse bad{400, "", {}, R"({"__type":"com.amazonaws.swf.base.model#InvalidToken","message":"Invalid Token: 'Invalid token'"})"};
  out = {};
  ReadJsonProtocolAnswer(bad, out);
  EXPECT_EQ(out.error_code, "InvalidToken");
  EXPECT_EQ(out.error_message, "Invalid Token: 'Invalid token'");

  net::HttpClientResponse header{
      400, "", {{"x-amzn-errortype", "ResourceNotFoundException:http://internal.amazon.com/"}},
      R"({"Message":"Requested resource not found"})"};
  out = {};
  ReadJsonProtocolAnswer(header, out);
  EXPECT_EQ(out.error_code, "ResourceNotFoundException");
  EXPECT_EQ(out.error_message, "Requested resource not found");

  net::HttpClientResponse garbage{200, "", {}, "<html>"};
  out = {};
  ReadJsonProtocolAnswer(garbage, out);
  EXPECT_TRUE(out.transport_failed);
}

TEST(S3ProtocolTest, GetObjectRequest) {
  auto r = S3Request({"http://127.0.0.1:4568", true}, "GetObject",
                     J(R"({"Bucket":"b","Key":"dir/a b.txt","VersionId":"v 1","Range":"bytes=0-9"})"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->method, "GET");
  EXPECT_EQ(r->url, "http://127.0.0.1:4568/b/dir/a%20b.txt?versionId=v%201");
  EXPECT_EQ(r->headers["range"], "bytes=0-9");
  EXPECT_TRUE(r->body.empty());
}

TEST(S3ProtocolTest, PutObjectBodyAsRecorded) {
  // The CRC32 checksums AWS answered for these bodies (LocalStack's
  // test_s3_put_object recordings): the Body's JSON text is stored, a
  // string's quotes included.
  struct Case {
    const char* body;
    const char* crc;
  } cases[] = {{R"("text data")", "KUmHvQ=="},
               {R"({"Dict":"Value"})", "hnEfWw=="},
               {R"(["List","Data"])", "1F2MPA=="},
               {"false", "K81oMA=="},
               {"0", "9NvfIQ=="}};
  for (const Case& c : cases) {
    json::object params = J(R"({"Bucket":"b","Key":"file-key","Metadata":{"Who":"me"}})").as_object();
    params["Body"] = J(c.body);
    auto r = S3Request({"http://h:1", true}, "PutObject", json::value(params));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->method, "PUT");
    EXPECT_EQ(r->url, "http://h:1/b/file-key");
    EXPECT_EQ(r->headers["x-amz-checksum-crc32"], c.crc) << c.body;
    EXPECT_EQ(r->headers["x-amz-sdk-checksum-algorithm"], "CRC32");
    EXPECT_EQ(r->headers["x-amz-meta-who"], "me");
    EXPECT_EQ(r->headers["content-type"], "text/plain; charset=UTF-8");
    EXPECT_EQ(r->body, SerializeJson(J(c.body)));
  }
  EXPECT_EQ(Crc32Base64("text data"), "0Q/6SA==");
  EXPECT_EQ(Crc32Base64("\"text data\""), "KUmHvQ==");
}

TEST(S3ProtocolTest, PutObjectBodyBytesAreSentAsTheyAre) {
  // The Distributed Map's result files: raw bytes, not a Body's JSON text.
  const std::string bytes = "[1,2]\n";
  auto r = S3Request({"http://h:1", true}, "PutObject",
                     J(R"({"Bucket":"b","Key":"k","ContentType":"application/json"})"), &bytes);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, bytes);
  EXPECT_EQ(r->headers["content-type"], "application/json");
  EXPECT_EQ(r->headers["x-amz-checksum-crc32"], Crc32Base64(bytes));
  EXPECT_FALSE(S3Request({"http://h:1", true}, "PutObject",
                         J(R"({"Bucket":"b","Key":"k","Body":"x"})"), &bytes)
                   .ok());
  EXPECT_FALSE(S3Request({"http://h:1", true}, "GetObject", J(R"({"Bucket":"b","Key":"k"})"),
                         &bytes)
                   .ok());
}

TEST(S3ProtocolTest, ListObjectsV2AndBadParameters) {
  auto r = S3Request({"http://h:1", true}, "ListObjectsV2",
                     J(R"({"Bucket":"b","Prefix":"in/","MaxKeys":2,"FetchOwner":true})"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->url, "http://h:1/b?list-type=2&prefix=in%2F&max-keys=2&fetch-owner=true");
  auto missing = S3Request({"http://h:1", true}, "GetObject", J(R"({"Key":"k"})"));
  EXPECT_EQ(missing.status().message(), "S3 GetObject: parameter 'Bucket' must not be null");
  auto unknown = S3Request({"http://h:1", true}, "HeadObject", J(R"({"Bucket":"b","Key":"k","Colour":"red"})"));
  EXPECT_EQ(unknown.status().message(),
            "S3 HeadObject: parameter 'Colour' is not a member of its request");
}

TEST(S3ProtocolTest, GetObjectOutputAsRecorded) {
  net::HttpClientResponse answer;
  answer.status = 200;
  answer.headers = {{"accept-ranges", "bytes"},
                    {"content-length", "9"},
                    {"content-type", "binary/octet-stream"},
                    {"etag", "\"332eec544317a6d340b8e77da7fe54ad\""},
                    {"last-modified", "Sun, 06 Dec 2026 09:30:00 GMT"},
                    {"x-amz-server-side-encryption", "AES256"},
                    {"x-amz-request-id", "R1"},
                    {"x-amz-id-2", "H1"},
                    {"server", "AmazonS3"}};
  answer.body = "text data";
  AwsApiResponse out;
  ReadS3Answer("GetObject", answer, out);
  // Members in name order, Body last, as test_s3_get_object[str] shows.
  EXPECT_EQ(SerializeJson(out.output),
            R"({"AcceptRanges":"bytes","ContentLength":9,"ContentType":"binary/octet-stream",)"
            R"("ETag":"\"332eec544317a6d340b8e77da7fe54ad\"","LastModified":"2026-12-06T09:30:00Z",)"
            R"("Metadata":{},"ServerSideEncryption":"AES256","Body":"text data"})");
  answer.headers = {{"etag", "\"e\""}, {"x-amz-checksum-crc32", "KUmHvQ=="},
                    {"x-amz-checksum-type", "FULL_OBJECT"}, {"x-amz-server-side-encryption", "AES256"}};
  out = {};
  ReadS3Answer("PutObject", answer, out);
  EXPECT_EQ(SerializeJson(out.output),
            R"({"ChecksumCRC32":"KUmHvQ==","ChecksumType":"FULL_OBJECT","ETag":"\"e\"",)"
            R"("ServerSideEncryption":"AES256"})");
}

TEST(S3ProtocolTest, BodyIsUtf8Text) {
  EXPECT_EQ(Utf8Text("plain"), "plain");
  EXPECT_EQ(Utf8Text("h\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"), "h\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  EXPECT_EQ(Utf8Text(std::string("a\xFF\x00b", 4)), std::string("a\xEF\xBF\xBD\x00b", 6));
  EXPECT_EQ(Utf8Text("\xC3"), "\xEF\xBF\xBD");              // cut short
  EXPECT_EQ(Utf8Text("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong
  EXPECT_EQ(Utf8Text("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
}

TEST(S3ProtocolTest, ListObjectsV2Output) {
  net::HttpClientResponse answer;
  answer.status = 200;
  answer.body =
      R"(<?xml version="1.0" encoding="UTF-8"?>)"
      R"(<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name>)"
      R"(<Prefix>in/</Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys>)"
      R"(<IsTruncated>false</IsTruncated><Contents><Key>in/a&amp;b.json</Key>)"
      R"(<LastModified>2026-12-06T09:30:00.000Z</LastModified><ETag>&quot;x&quot;</ETag>)"
      R"(<Size>12</Size><StorageClass>STANDARD</StorageClass></Contents>)"
      R"(<Contents><Key>in/c.json</Key><LastModified>2026-12-06T09:30:01.500Z</LastModified>)"
      R"(<ETag>"y"</ETag><Size>0</Size><StorageClass>STANDARD</StorageClass></Contents>)"
      R"(</ListBucketResult>)";
  AwsApiResponse out;
  ReadS3Answer("ListObjectsV2", answer, out);
  EXPECT_EQ(SerializeJson(out.output),
            R"({"Contents":[{"ETag":"\"x\"","Key":"in/a&b.json","LastModified":"2026-12-06T09:30:00Z",)"
            R"("Size":12,"StorageClass":"STANDARD"},{"ETag":"\"y\"","Key":"in/c.json",)"
            R"("LastModified":"2026-12-06T09:30:01.500Z","Size":0,"StorageClass":"STANDARD"}],)"
            R"("IsTruncated":false,"KeyCount":2,"MaxKeys":1000,"Name":"b","Prefix":"in/"})");
}

TEST(S3ProtocolTest, ErrorsFromTheDocumentOrTheStatus) {
  net::HttpClientResponse answer;
  answer.status = 404;
  answer.body =
      R"(<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchBucket</Code>)"
      R"(<Message>The specified bucket does not exist</Message><BucketName>b</BucketName>)"
      R"(<RequestId>R2</RequestId><HostId>H2</HostId></Error>)";
  AwsApiResponse out;
  ReadS3Answer("GetObject", answer, out);
  EXPECT_EQ(out.error_code, "NoSuchBucket");
  EXPECT_EQ(out.error_message, "The specified bucket does not exist");
  EXPECT_EQ(out.request_id, "R2");
  net::HttpClientResponse head{404, "", {}, ""};
  out = {};
  ReadS3Answer("HeadObject", head, out);
  EXPECT_EQ(out.error_code, "NoSuchKey");
}

TEST(QueryProtocolTest, SnsPublish) {
  auto r = QueryProtocolRequest(
      Service("sns"), {"http://h:1", true}, "Publish",
      J(R"({"TopicArn":"arn:aws:sns:us-east-1:1:t","Message":{"a":1},)"
        R"("MessageAttributes":{"k":{"DataType":"String","StringValue":"v w"}}})"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->method, "POST");
  EXPECT_EQ(r->url, "http://h:1/");
  EXPECT_EQ(r->body,
            "Action=Publish&Version=2010-03-31&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A1%3At&"
            "Message=%7B%22a%22%3A1%7D&MessageAttributes.entry.1.Name=k&"
            "MessageAttributes.entry.1.Value.DataType=String&"
            "MessageAttributes.entry.1.Value.StringValue=v%20w");
  net::HttpClientResponse ok{200, "", {},
      R"(<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult>)"
      R"(<MessageId>m-1</MessageId></PublishResult><ResponseMetadata><RequestId>q-1</RequestId>)"
      R"(</ResponseMetadata></PublishResponse>)"};
  AwsApiResponse out;
  ReadQueryProtocolAnswer("Publish", ok, out);
  EXPECT_EQ(SerializeJson(out.output), R"({"MessageId":"m-1"})");
  EXPECT_EQ(out.request_id, "q-1");
  net::HttpClientResponse bad{404, "", {},
      R"(<ErrorResponse><Error><Type>Sender</Type><Code>NotFound</Code>)"
      R"(<Message>Topic does not exist</Message></Error><RequestId>q-2</RequestId></ErrorResponse>)"};
  out = {};
  ReadQueryProtocolAnswer("Publish", bad, out);
  EXPECT_EQ(out.error_code, "NotFound");
  EXPECT_EQ(out.error_message, "Topic does not exist");
  EXPECT_EQ(out.request_id, "q-2");
}

TEST(XmlReaderTest, ReadsWhatAwsWritesAndRefusesBrokenDocuments) {
  auto doc = ParseXml(
      "<?xml version=\"1.0\"?><!-- c --><a:Root x=\"1>2\"><B>x &lt;&#65;&#x42;&gt;</B>"
      "<C><![CDATA[<raw>]]></C><D/></a:Root>");
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ(doc->name, "Root");
  EXPECT_EQ(doc->ChildText("B"), "x <AB>");
  EXPECT_EQ(doc->ChildText("C"), "<raw>");
  ASSERT_NE(doc->Child("D"), nullptr);
  EXPECT_FALSE(ParseXml("<a><b></a>").ok());
  EXPECT_FALSE(ParseXml("<a>").ok());
  EXPECT_FALSE(ParseXml("").ok());
  EXPECT_FALSE(ParseXml("<a>&bogus;</a>").ok());
  EXPECT_FALSE(ParseXml(std::string(100, '<')).ok());
  EXPECT_EQ(XmlEscape("a<&>\"'"), "a&lt;&amp;&gt;&quot;&apos;");
}

}  // namespace
}  // namespace stepwise::integrations
