package emulate

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
)

// TestBedrockCountTokensSDK counts a Converse request with the AWS SDK's
// CountTokens, which must be free and equal the input tokens Converse then
// bills for the same request.
func TestBedrockCountTokensSDK(t *testing.T) {
	s := listen(t, Bedrock, sigV4Knobs)
	c := bedrockClient(t, s.URL, awsKeyID, awsSecret)
	in := converseGreeting()
	count, err := c.CountTokens(context.Background(), &bedrockruntime.CountTokensInput{
		ModelId: aws.String(bedrockModel),
		Input: &types.CountTokensInputMemberConverse{Value: types.ConverseTokensRequest{
			System: in.System, Messages: in.Messages,
		}},
	})
	if err != nil {
		t.Fatalf("CountTokens: %v", err)
	}
	if b := s.Billed(); b.Requests != 0 || b.InputTokens != 0 {
		t.Errorf("CountTokens was billed: %+v", b)
	}
	out, err := c.Converse(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if count.InputTokens == nil || *count.InputTokens != *out.Usage.InputTokens || int64(*count.InputTokens) != s.Billed().InputTokens {
		t.Errorf("counted %v, Converse reported %d, billed %d", aws.ToInt32(count.InputTokens), *out.Usage.InputTokens, s.Billed().InputTokens)
	}
}
