// Tests of the optimized AWS integrations (optimized_integrations.h,
// optimized_services.h) against a fake AwsApi: which resources they take,
// the requests they make, and the results and errors as AWS recorded them
// (LocalStack's AWS-validated snapshots of the dynamodb, sqs, sns and events
// task services). Single-threaded: the fake answers when told.
#include "integrations/aws/optimized_integrations.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/strings.h"
#include "gtest/gtest.h"
#include "integrations/aws/optimized_services.h"

namespace stepwise::integrations {
namespace {

using engine::ServiceCall;
using engine::TaskResource;
using engine::TaskResult;

class FakeAwsApi : public AwsApi {
 public:
  bool Knows(std::string_view service) const override {
    return service != "unknown" && known_all;
  }
  void Call(AwsApiRequest request, std::function<void(AwsApiResponse)> done) override {
    requests.push_back(std::move(request));
    pending.push_back(std::move(done));
  }
  // Answers the oldest call.
  void Answer(AwsApiResponse r) {
    ASSERT_FALSE(pending.empty());
    auto done = std::move(pending.front());
    pending.erase(pending.begin());
    done(std::move(r));
  }

  bool known_all = true;
  std::vector<AwsApiRequest> requests;
  std::vector<std::function<void(AwsApiResponse)>> pending;
};

json::value Json(std::string_view text) {
  auto v = ParseJson(ToAbsl(text));
  EXPECT_TRUE(v.ok()) << text;
  return v.ok() ? *v : json::value();
}

AwsApiResponse Ok(std::string_view output) {
  AwsApiResponse r;
  r.status = 200;
  r.request_id = "req-1";
  r.content_length = 2;
  r.headers = {{"Server", "Server"},
               {"Connection", "keep-alive"},
               {"x-amzn-RequestId", "req-1"},
               {"Content-Length", "2"},
               {"Date", "Sun, 06 Dec 2026 12:00:00 GMT"},
               {"Content-Type", "application/x-amz-json-1.0"}};
  r.output = Json(output);
  return r;
}

AwsApiResponse Error(int status, std::string code, std::string message) {
  AwsApiResponse r;
  r.status = status;
  r.request_id = "req-9";
  r.error_code = std::move(code);
  r.error_message = std::move(message);
  return r;
}

class OptimizedTest : public ::testing::Test {
 protected:
  bool Takes(const std::string& resource) {
    return integration_.Takes(TaskResource::Parse(resource));
  }

  // Calls `resource` with `parameters`; the result lands in result_.
  void Call(const std::string& resource, std::string_view parameters, bool callback = false) {
    ServiceCall call;
    call.execution_arn = "arn:aws:states:us-east-1:123456789012:execution:m:e";
    call.task_id = 3;
    call.resource = resource;
    call.parameters = Json(parameters);
    call.region = "eu-west-1";
    call.timeout_ms = 5000;
    call.callback = callback;
    integration_.Call(call, [this](TaskResult r) { result_ = std::move(r); });
  }

  std::shared_ptr<FakeAwsApi> api_ = std::make_shared<FakeAwsApi>();
  ManualClock clock_{1'700'000'000'000};
  OptimizedIntegration integration_{api_, &clock_};
  std::optional<TaskResult> result_;
};

TEST_F(OptimizedTest, NameIsAws) { EXPECT_EQ(integration_.name(), "aws"); }

TEST_F(OptimizedTest, TakesTheApisItRuns) {
  EXPECT_TRUE(Takes("arn:aws:states:::dynamodb:getItem"));
  EXPECT_TRUE(Takes("arn:aws:states:::dynamodb:putItem"));
  EXPECT_TRUE(Takes("arn:aws:states:::dynamodb:updateItem"));
  EXPECT_TRUE(Takes("arn:aws:states:::dynamodb:deleteItem"));
  EXPECT_TRUE(Takes("arn:aws:states:::sqs:sendMessage"));
  EXPECT_TRUE(Takes("arn:aws:states:::sqs:sendMessage.waitForTaskToken"));
  EXPECT_TRUE(Takes("arn:aws:states:::sns:publish"));
  EXPECT_TRUE(Takes("arn:aws:states:::sns:publish.waitForTaskToken"));
  EXPECT_TRUE(Takes("arn:aws:states:::events:putEvents"));
  EXPECT_TRUE(Takes("arn:aws:states:::events:putEvents.waitForTaskToken"));
  EXPECT_TRUE(Takes("arn:aws-cn:states:::dynamodb:getItem"));
}

TEST_F(OptimizedTest, DeclinesWhatItDoesNotRun) {
  EXPECT_FALSE(Takes("arn:aws:states:::dynamodb:getItem.waitForTaskToken"));
  EXPECT_FALSE(Takes("arn:aws:states:::dynamodb:query"));
  EXPECT_FALSE(Takes("arn:aws:states:::sqs:sendMessage.sync"));
  EXPECT_FALSE(Takes("arn:aws:states:::aws-sdk:dynamodb:getItem"));
  EXPECT_FALSE(Takes("arn:aws:states:::lambda:invoke"));
  EXPECT_FALSE(Takes("arn:aws:states:::ecs:runTask.sync"));
  EXPECT_FALSE(Takes("arn:aws:states:::http:invoke"));
  EXPECT_FALSE(Takes("arn:aws:states:us-east-1:123456789012:activity:a"));
  api_->known_all = false;
  EXPECT_FALSE(Takes("arn:aws:states:::dynamodb:getItem"));
}

TEST_F(OptimizedTest, PutItemSendsTheMembersAsGiven) {
  Call("arn:aws:states:::dynamodb:putItem",
       R"({"TableName":"t","Item":{"id":{"S":"id1"},"data":{"S":"HelloWorld"}}})");
  ASSERT_EQ(api_->requests.size(), 1u);
  const AwsApiRequest& r = api_->requests[0];
  EXPECT_EQ(r.service, "dynamodb");
  EXPECT_EQ(r.operation, "PutItem");
  EXPECT_EQ(r.region, "eu-west-1");
  EXPECT_EQ(r.timeout_ms, 5000);
  EXPECT_TRUE(JsonEquals(
      r.parameters, Json(R"({"TableName":"t","Item":{"id":{"S":"id1"},"data":{"S":"HelloWorld"}}})")));
  EXPECT_FALSE(result_.has_value());
}

TEST_F(OptimizedTest, GetItemResultCarriesTheSdkMetadata) {
  Call("arn:aws:states:::dynamodb:getItem", R"({"TableName":"t","Key":{"id":{"S":"id1"}}})");
  EXPECT_EQ(api_->requests.at(0).operation, "GetItem");
  api_->Answer(Ok(R"({"Item":{"data":{"S":"HelloWorld"},"id":{"S":"id1"}}})"));
  ASSERT_TRUE(result_.has_value());
  ASSERT_EQ(result_->kind, TaskResult::Kind::kSucceeded);
  json::value want = Json(R"({
    "Item":{"data":{"S":"HelloWorld"},"id":{"S":"id1"}},
    "SdkHttpMetadata":{
      "AllHttpHeaders":{"Server":["Server"],"Connection":["keep-alive"],
        "x-amzn-RequestId":["req-1"],"Content-Length":["2"],
        "Date":["Sun, 06 Dec 2026 12:00:00 GMT"],"Content-Type":["application/x-amz-json-1.0"]},
      "HttpHeaders":{"Server":"Server","Connection":"keep-alive","x-amzn-RequestId":"req-1",
        "Content-Length":"2","Date":"Sun, 06 Dec 2026 12:00:00 GMT",
        "Content-Type":"application/x-amz-json-1.0"},
      "HttpStatusCode":200},
    "SdkResponseMetadata":{"RequestId":"req-1"}})");
  EXPECT_TRUE(JsonEquals(result_->output, want)) << SerializeJson(result_->output);
}

TEST_F(OptimizedTest, UpdateAndDeleteItemCallTheirOperations) {
  Call("arn:aws:states:::dynamodb:updateItem",
       R"({"TableName":"t","Key":{"id":{"S":"id1"}},"UpdateExpression":"set S=:r",)"
       R"("ExpressionAttributeValues":{":r":{"S":"x"}},"ReturnValues":"UPDATED_NEW"})");
  Call("arn:aws:states:::dynamodb:deleteItem", R"({"TableName":"t","Key":{"id":{"S":"id1"}}})");
  ASSERT_EQ(api_->requests.size(), 2u);
  EXPECT_EQ(api_->requests[0].operation, "UpdateItem");
  EXPECT_EQ(api_->requests[1].operation, "DeleteItem");
  api_->Answer(Ok(R"({"Attributes":{"S":{"S":"x"}}})"));
  ASSERT_TRUE(result_.has_value());
  EXPECT_TRUE(JsonEquals(result_->output.at("Attributes"), Json(R"({"S":{"S":"x"}})")));
}

TEST_F(OptimizedTest, ConditionalCheckFailedIsNamedAsAws) {
  Call("arn:aws:states:::dynamodb:putItem", R"({"TableName":"t","Item":{}})");
  api_->Answer(Error(400, "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",
                     "The conditional request failed"));
  ASSERT_TRUE(result_.has_value());
  EXPECT_EQ(result_->kind, TaskResult::Kind::kFailed);
  EXPECT_EQ(result_->error, "DynamoDB.ConditionalCheckFailedException");
  EXPECT_EQ(result_->cause,
            "The conditional request failed (Service: AmazonDynamoDBv2; Status Code: 400; "
            "Error Code: ConditionalCheckFailedException; Request ID: req-9; Proxy: null)");
}

TEST_F(OptimizedTest, DynamoDbErrorsTheClientDoesNotModel) {
  Call("arn:aws:states:::dynamodb:putItem", R"({"TableName":"t","Item":null})");
  api_->Answer(Error(400, "ValidationException",
                     "1 validation error detected: Value null at 'item' failed to satisfy "
                     "constraint: Member must not be null"));
  ASSERT_TRUE(result_.has_value());
  EXPECT_EQ(result_->error, "DynamoDB.AmazonDynamoDBException");
  EXPECT_EQ(result_->cause,
            "1 validation error detected: Value null at 'item' failed to satisfy constraint: "
            "Member must not be null (Service: AmazonDynamoDBv2; Status Code: 400; Error Code: "
            "ValidationException; Request ID: req-9; Proxy: null)");
  Call("arn:aws:states:::dynamodb:putItem", R"({"TableName":"t","Item":{}})");
  api_->Answer(Error(400, "ResourceNotFoundException", "Requested resource not found"));
  EXPECT_EQ(result_->error, "DynamoDB.ResourceNotFoundException");
}

TEST_F(OptimizedTest, SqsMessageBodyGoesAsJsonText) {
  Call("arn:aws:states:::sqs:sendMessage.waitForTaskToken",
       R"({"QueueUrl":"http://q","MessageBody":{"Message":"m","TaskToken":"tok"}})", true);
  Call("arn:aws:states:::sqs:sendMessage", R"({"QueueUrl":"http://q","MessageBody":"text"})");
  Call("arn:aws:states:::sqs:sendMessage", R"({"QueueUrl":"http://q","MessageBody":null})");
  ASSERT_EQ(api_->requests.size(), 3u);
  EXPECT_EQ(api_->requests[0].service, "sqs");
  EXPECT_EQ(api_->requests[0].operation, "SendMessage");
  EXPECT_EQ(api_->requests[0].parameters.at("MessageBody"),
            json::value(R"({"Message":"m","TaskToken":"tok"})"));
  EXPECT_EQ(api_->requests[1].parameters.at("MessageBody"), json::value("text"));
  EXPECT_FALSE(api_->requests[2].parameters.as_object().contains("MessageBody"));
  api_->Answer(Ok(R"({"MD5OfMessageBody":"abc","MessageId":"m-1"})"));
  ASSERT_TRUE(result_.has_value());
  EXPECT_EQ(result_->kind, TaskResult::Kind::kSucceeded);
  EXPECT_EQ(result_->output.at("MessageId"), json::value("m-1"));
  EXPECT_EQ(result_->output.at("SdkHttpMetadata").at("HttpStatusCode"), json::value(200));
}

TEST_F(OptimizedTest, SqsErrorsUseTheQueryCodes) {
  Call("arn:aws:states:::sqs:sendMessage", R"({"QueueUrl":"http://q"})");
  AwsApiResponse missing = Error(400, "MissingParameter",
                                 "The request must contain the parameter MessageBody.");
  missing.headers = {{"x-amzn-query-error", "MissingParameter;Sender"}};
  api_->Answer(missing);
  ASSERT_TRUE(result_.has_value());
  EXPECT_EQ(result_->error, "SQS.AmazonSQSException");
  EXPECT_EQ(result_->cause,
            "The request must contain the parameter MessageBody. (Service: AmazonSQS; Status "
            "Code: 400; Error Code: MissingParameter; Request ID: req-9; Proxy: null)");

  Call("arn:aws:states:::sqs:sendMessage", R"({"QueueUrl":"http://q","MessageBody":"b"})");
  api_->Answer(Error(400, "com.amazonaws.sqs#QueueDoesNotExist",
                     "The specified queue does not exist."));
  EXPECT_EQ(result_->error, "SQS.QueueDoesNotExistException");
  EXPECT_EQ(result_->cause,
            "The specified queue does not exist. (Service: AmazonSQS; Status Code: 400; Error "
            "Code: AWS.SimpleQueueService.NonExistentQueue; Request ID: req-9; Proxy: null)");
}

TEST_F(OptimizedTest, NoAnswerIsAnSdkClientException) {
  Call("arn:aws:states:::sqs:sendMessage", R"({"QueueUrl":"http://q","MessageBody":"b"})");
  AwsApiResponse r;
  r.transport_failed = true;
  r.transport_error = "Unable to execute HTTP request: no-such-queue: Name or service not known";
  api_->Answer(r);
  ASSERT_TRUE(result_.has_value());
  EXPECT_EQ(result_->error, "SQS.SdkClientException");
  EXPECT_EQ(result_->cause,
            "Unable to execute HTTP request: no-such-queue: Name or service not known");
}

TEST_F(OptimizedTest, SnsPublish) {
  Call("arn:aws:states:::sns:publish",
       R"({"TopicArn":"arn:aws:sns:eu-west-1:1:t","Message":{"Message":"HelloWorld!"},)"
       R"("MessageAttributes":{"a":{"DataType":"String","StringValue":"Hello"}}})");
  const AwsApiRequest& r = api_->requests.at(0);
  EXPECT_EQ(r.service, "sns");
  EXPECT_EQ(r.operation, "Publish");
  EXPECT_EQ(r.parameters.at("Message"), json::value(R"({"Message":"HelloWorld!"})"));
  EXPECT_TRUE(JsonEquals(r.parameters.at("MessageAttributes"),
                         Json(R"({"a":{"DataType":"String","StringValue":"Hello"}})")));
  api_->Answer(Ok(R"({"MessageId":"m-1"})"));
  ASSERT_TRUE(result_.has_value());
  EXPECT_EQ(result_->output.at("MessageId"), json::value("m-1"));
  EXPECT_TRUE(result_->output.as_object().contains("SdkResponseMetadata"));

  Call("arn:aws:states:::sns:publish", R"({"TopicArn":"arn:aws:sns:eu-west-1:1:t","Message":"m"})");
  EXPECT_EQ(api_->requests.at(1).parameters.at("Message"), json::value("m"));
  api_->Answer(Error(404, "NotFound", "Topic does not exist"));
  EXPECT_EQ(result_->error, "SNS.NotFoundException");
  EXPECT_EQ(result_->cause,
            "Topic does not exist (Service: AmazonSNS; Status Code: 404; Error Code: NotFound; "
            "Request ID: req-9; Proxy: null)");

  Call("arn:aws:states:::sns:publish", R"({"TopicArn":"arn:aws:sns:eu-west-1:1:t.fifo"})");
  api_->Answer(Error(400, "InvalidParameter",
                     "Invalid parameter: The MessageGroupId parameter is required for FIFO "
                     "topics"));
  EXPECT_EQ(result_->error, "SNS.InvalidParameterException");
}

TEST_F(OptimizedTest, PutEventsSerializesDetailsAndAddsNoMetadata) {
  Call("arn:aws:states:::events:putEvents",
       R"({"Entries":[{"Detail":"{\"Message\": \"HelloWorld0\"}","DetailType":"d","Source":"s"},)"
       R"({"Detail":{"Message":"HelloWorld1"},"DetailType":"d","Source":"s"}]})");
  const AwsApiRequest& r = api_->requests.at(0);
  EXPECT_EQ(r.service, "eventbridge");
  EXPECT_EQ(r.operation, "PutEvents");
  const json::array& entries = r.parameters.at("Entries").as_array();
  EXPECT_EQ(entries.at(0).at("Detail"), json::value("{\"Message\": \"HelloWorld0\"}"));
  EXPECT_EQ(entries.at(1).at("Detail"), json::value(R"({"Message":"HelloWorld1"})"));
  api_->Answer(Ok(R"({"Entries":[{"EventId":"e1"},{"EventId":"e2"}],"FailedEntryCount":0})"));
  ASSERT_TRUE(result_.has_value());
  EXPECT_EQ(result_->kind, TaskResult::Kind::kSucceeded);
  EXPECT_TRUE(JsonEquals(
      result_->output,
      Json(R"({"Entries":[{"EventId":"e1"},{"EventId":"e2"}],"FailedEntryCount":0})")));
}

TEST_F(OptimizedTest, PutEventsWithFailedEntriesFails) {
  Call("arn:aws:states:::events:putEvents",
       R"({"Entries":[{"Detail":"\"jsonstring\"","DetailType":"d","Source":"s"}]})");
  EXPECT_EQ(api_->requests.at(0).parameters.at("Entries").at(0).at("Detail"),
            json::value("\"jsonstring\""));
  api_->Answer(Ok(
      R"({"Entries":[{"ErrorCode":"MalformedDetail","ErrorMessage":"Detail is malformed."}],)"
      R"("FailedEntryCount":1})"));
  ASSERT_TRUE(result_.has_value());
  EXPECT_EQ(result_->kind, TaskResult::Kind::kFailed);
  EXPECT_EQ(result_->error, "EventBridge.FailedEntry");
  EXPECT_EQ(result_->cause,
            R"({"Entries":[{"ErrorCode":"MalformedDetail","ErrorMessage":"Detail is malformed."}],)"
            R"("FailedEntryCount":1})");
}

TEST_F(OptimizedTest, ParametersMustBeAnObject) {
  Call("arn:aws:states:::dynamodb:getItem", R"([1,2])");
  EXPECT_TRUE(api_->requests.empty());
  ASSERT_TRUE(result_.has_value());
  EXPECT_EQ(result_->kind, TaskResult::Kind::kFailed);
  EXPECT_EQ(result_->error, "States.Runtime");
  EXPECT_NE(result_->cause.find("GetItem"), std::string::npos);
}

TEST_F(OptimizedTest, NothingIsReportedAfterStop) {
  Call("arn:aws:states:::dynamodb:getItem", R"({"TableName":"t","Key":{}})");
  integration_.Stop();
  api_->Answer(Ok("{}"));
  EXPECT_FALSE(result_.has_value());
  Call("arn:aws:states:::dynamodb:getItem", R"({"TableName":"t","Key":{}})");
  EXPECT_EQ(api_->requests.size(), 1u);
}

TEST(OptimizedErrorNameTest, UnknownCodesAreTheClientException) {
  const OptimizedApi* sns = FindOptimizedApi("sns", "publish");
  ASSERT_NE(sns, nullptr);
  EXPECT_EQ(OptimizedErrorName(*sns->service, "ParameterValueInvalid"),
            "SNS.InvalidParameterValueException");
  EXPECT_EQ(OptimizedErrorName(*sns->service, "Whatever"), "SNS.AmazonSNSException");
  const OptimizedApi* events = FindOptimizedApi("events", "putEvents.waitForTaskToken");
  ASSERT_NE(events, nullptr);
  EXPECT_EQ(OptimizedErrorName(*events->service, "InternalException"),
            "EventBridge.InternalException");
  EXPECT_EQ(OptimizedErrorName(*events->service, "ValidationException"),
            "EventBridge.AmazonEventBridgeException");
}

TEST(MakeOptimizedIntegrationTest, MakesOne) {
  auto integration = MakeOptimizedIntegration(std::make_shared<FakeAwsApi>());
  ASSERT_NE(integration, nullptr);
  EXPECT_EQ(integration->name(), "aws");
}

}  // namespace
}  // namespace stepwise::integrations
